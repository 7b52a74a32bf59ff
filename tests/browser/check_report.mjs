// Opens wmihunt HTML reports in Debian's Chromium (through playwright-core, no browser
// download) as a person would, and prints what it saw as JSON for tests/e2e/report.rs to judge:
// per page, with and without JavaScript, the title, the finding cards and host timelines in
// the DOM, elements that only injected markup would make, every network request, console
// errors (a blocked style or script shows up here), horizontal overflow, the load time, what
// the filter box leaves, and screenshots at the widths asked for.
//
// Usage: node check_report.mjs SPEC.json
//   SPEC: {"chromium": path, "modules": folder with node_modules/playwright-core,
//          "pages": [{"name", "file", "filter", "card": path of a screenshot of the first
//                     card (optional), "screenshots": [{"width", "height", "path", "clip"}]}]}

import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";

const spec = JSON.parse(readFileSync(process.argv[2], "utf8"));
const require = createRequire(spec.modules.replace(/\/?$/, "/"));
const { chromium } = require("playwright-core");

const FLAGS = [
  "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
  "--disable-component-update", "--disable-sync",
];

/// What the DOM holds once the page has loaded.
function inspect() {
  const cards = document.querySelectorAll("article.card");
  const filter = document.getElementById("filter");
  return {
    title: document.title,
    cards: cards.length,
    // Host timelines that draw at least one mark.
    timelines: Array.from(document.querySelectorAll(".timeline svg"))
      .filter((svg) => svg.querySelector("circle")).length,
    hostRows: document.querySelectorAll("#hosts tbody tr").length,
    // Nothing in the report makes these; only markup from the data would.
    injected: document.querySelectorAll(
      "#pwned, img, iframe, object, embed, a[href^='javascript'], [onload], [onerror]",
    ).length + document.scripts.length - 1 + document.querySelectorAll("style").length - 1,
    filterHidden: filter ? filter.hidden : null,
    overflowX: document.documentElement.scrollWidth > window.innerWidth + 1,
  };
}

async function visit(browser, page, javaScript) {
  const context = await browser.newContext({
    javaScriptEnabled: javaScript,
    viewport: { width: 1440, height: 900 },
  });
  const tab = await context.newPage();
  const requests = [];
  const errors = [];
  tab.on("request", (r) => requests.push(r.url()));
  tab.on("console", (m) => { if (m.type() === "error" || m.type() === "warning") errors.push(m.text()); });
  tab.on("pageerror", (e) => errors.push(String(e)));
  const started = Date.now();
  await tab.goto(pathToFileURL(page.file).href, { waitUntil: "load" });
  const loadMs = Date.now() - started;
  const dom = await tab.evaluate(inspect);
  let filtered = null;
  if (javaScript && page.filter) {
    await tab.fill("#filter", page.filter);
    await tab.waitForFunction(() => document.getElementById("shown").textContent !== "");
    filtered = await tab.evaluate(
      () => Array.from(document.querySelectorAll("article.card")).filter((c) => !c.hidden).length,
    );
    await tab.fill("#filter", "");
    await tab.waitForFunction(() => document.getElementById("shown").textContent === "");
  }
  if (javaScript) {
    for (const shot of page.screenshots) {
      await tab.setViewportSize({ width: shot.width, height: shot.height });
      await tab.evaluate(() => window.scrollTo(0, 0));
      const overflow = await tab.evaluate(inspect);
      dom.overflowX = dom.overflowX || overflow.overflowX;
      // `height` is the window; `clip` (optional) how much of the page's top to keep.
      const clip = shot.clip ? { x: 0, y: 0, width: shot.width, height: shot.clip } : undefined;
      await tab.screenshot({ path: shot.path, fullPage: Boolean(clip), clip });
    }
    if (page.card) {
      await tab.locator("article.card").first().screenshot({ path: page.card });
    }
  }
  // Whatever the data tried, nothing may be fetched later either.
  await tab.waitForTimeout(300);
  await context.close();
  return { dom: { ...dom, requests, errors }, loadMs, filtered };
}

const browser = await chromium.launch({ executablePath: spec.chromium, args: FLAGS });
const results = {};
try {
  for (const page of spec.pages) {
    const js = await visit(browser, page, true);
    const nojs = await visit(browser, page, false);
    results[page.name] = { js: js.dom, nojs: nojs.dom, loadMs: js.loadMs, filtered: js.filtered };
  }
} finally {
  await browser.close();
}
process.stdout.write(JSON.stringify(results));
