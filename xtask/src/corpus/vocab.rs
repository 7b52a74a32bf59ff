//! The vocabulary of the synthetic Windows server: its processes, DLLs, domains, files and
//! registry keys, with the typical lengths real Sysmon and Security events have.

use super::synthetic::Rng;
use wmihunt_testkit::writer::guid_from_str;

pub(super) const SYSMON_GUID: &str = "{5770385F-C22A-43E0-BF4C-06F5698FFBD9}";
pub(super) const SECURITY_GUID: &str = "{54849625-5478-4994-A5BA-3E3B0328C30D}";
pub(super) const SCM_GUID: &str = "{555908d1-a6d7-4695-8e1e-26931d2012f4}";
pub(super) const RESTART_MANAGER_GUID: &str = "{0888E5EF-9B98-4695-979D-E92CE4247224}";
pub(super) const COMPUTER: &str = "SRV-APP01.corp.example.com";

pub(super) const WMIPRVSE: &str = r"C:\Windows\System32\wbem\WmiPrvSE.exe";
pub(super) const WMIPRVSE_CMD: &str = r"C:\Windows\system32\wbem\wmiprvse.exe -secured -Embedding";
pub(super) const SVCHOST: &str = r"C:\Windows\System32\svchost.exe";

/// (image, command line, user) of long-running server processes.
pub(super) const SERVER_PROCESSES: &[(&str, &str, &str)] = &[
    (
        SVCHOST,
        r"C:\Windows\system32\svchost.exe -k netsvcs -p -s Schedule",
        r"NT AUTHORITY\SYSTEM",
    ),
    (
        SVCHOST,
        r"C:\Windows\system32\svchost.exe -k LocalServiceNetworkRestricted -p -s EventLog",
        r"NT AUTHORITY\LOCAL SERVICE",
    ),
    (
        SVCHOST,
        r"C:\Windows\system32\svchost.exe -k NetworkService -p -s Dnscache",
        r"NT AUTHORITY\NETWORK SERVICE",
    ),
    (
        SVCHOST,
        r"C:\Windows\system32\svchost.exe -k DcomLaunch -p",
        r"NT AUTHORITY\SYSTEM",
    ),
    (
        SVCHOST,
        r"C:\Windows\System32\svchost.exe -k netsvcs -p -s BITS",
        r"NT AUTHORITY\SYSTEM",
    ),
    (
        r"C:\Windows\System32\lsass.exe",
        r"C:\Windows\system32\lsass.exe",
        r"NT AUTHORITY\SYSTEM",
    ),
    (
        r"C:\Windows\System32\services.exe",
        r"C:\Windows\system32\services.exe",
        r"NT AUTHORITY\SYSTEM",
    ),
    (
        r"C:\Windows\explorer.exe",
        r"C:\Windows\Explorer.EXE",
        r"CORP\svc-admin",
    ),
    (
        r"C:\Windows\System32\msiexec.exe",
        r"C:\Windows\system32\msiexec.exe /V",
        r"NT AUTHORITY\SYSTEM",
    ),
    (
        r"C:\ProgramData\Microsoft\Windows Defender\Platform\4.18.24020.7-0\MsMpEng.exe",
        r#""C:\ProgramData\Microsoft\Windows Defender\Platform\4.18.24020.7-0\MsMpEng.exe""#,
        r"NT AUTHORITY\SYSTEM",
    ),
    (
        r"C:\Program Files\Microsoft SQL Server\MSSQL15.MSSQLSERVER\MSSQL\Binn\sqlservr.exe",
        r#""C:\Program Files\Microsoft SQL Server\MSSQL15.MSSQLSERVER\MSSQL\Binn\sqlservr.exe" -sMSSQLSERVER"#,
        r"NT SERVICE\MSSQLSERVER",
    ),
    (
        r"C:\Windows\System32\inetsrv\w3wp.exe",
        r#"c:\windows\system32\inetsrv\w3wp.exe -ap "DefaultAppPool" -v "v4.0" -l "webengine4.dll" -a \\.\pipe\iisipm7c3f -h "C:\inetpub\temp\apppools\DefaultAppPool\DefaultAppPool.config" -w "" -m 0"#,
        r"IIS APPPOOL\DefaultAppPool",
    ),
    (
        r"C:\Program Files\Microsoft Monitoring Agent\Agent\MonitoringHost.exe",
        r#""C:\Program Files\Microsoft Monitoring Agent\Agent\MonitoringHost.exe" -Embedding"#,
        r"NT AUTHORITY\SYSTEM",
    ),
    (
        r"C:\Windows\System32\taskhostw.exe",
        r"taskhostw.exe {222A245B-E637-4AE9-A93F-A59CA119A75E}",
        r"CORP\svc-admin",
    ),
    (
        r"C:\Windows\servicing\TrustedInstaller.exe",
        r"C:\Windows\servicing\TrustedInstaller.exe",
        r"NT AUTHORITY\SYSTEM",
    ),
    (
        r"C:\Windows\System32\spoolsv.exe",
        r"C:\Windows\System32\spoolsv.exe",
        r"NT AUTHORITY\SYSTEM",
    ),
];

/// (image, command line template, description, product, company, original name) of processes
/// that come and go; `{n}` in the command line becomes a number.
pub(super) const SHORT_LIVED: &[(&str, &str, &str, &str)] = &[
    (
        r"C:\Windows\System32\conhost.exe",
        r"\??\C:\Windows\system32\conhost.exe 0xffffffff -ForceV1",
        "Console Window Host",
        "CONHOST.EXE",
    ),
    (
        r"C:\Windows\System32\cmd.exe",
        r#"C:\Windows\system32\cmd.exe /c "C:\Scripts\rotate-logs.cmd {n}""#,
        "Windows Command Processor",
        "Cmd.Exe",
    ),
    (
        r"C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe",
        r#"powershell.exe -NoProfile -ExecutionPolicy Bypass -File "C:\Program Files\Agent\collect.ps1" -Interval {n}"#,
        "Windows PowerShell",
        "PowerShell.EXE",
    ),
    (
        r"C:\Windows\System32\wevtutil.exe",
        r"wevtutil.exe qe System /c:{n} /rd:true /f:text",
        "Eventing Command Line Utility",
        "wevtutil.exe",
    ),
    (
        r"C:\Windows\System32\net.exe",
        r"net.exe use \\fs01\share{n}",
        "Net Command",
        "net.exe",
    ),
    (
        r"C:\Windows\System32\sc.exe",
        r"sc.exe query wuauserv",
        "Service Control Manager Configuration Tool",
        "sc.exe",
    ),
    (
        r"C:\Windows\System32\tasklist.exe",
        r"tasklist.exe /svc /fo csv",
        "Lists the current running tasks.",
        "tasklist.exe",
    ),
    (
        r"C:\Windows\System32\backgroundTaskHost.exe",
        r#""C:\Windows\system32\backgroundTaskHost.exe" -ServerName:BackgroundTaskHost.WebAccountProvider{n}"#,
        "Background Task Host",
        "backgroundTaskHost.exe",
    ),
    (
        r"C:\Windows\System32\MpCmdRun.exe",
        r#""C:\ProgramData\Microsoft\Windows Defender\Platform\4.18.24020.7-0\MpCmdRun.exe" SignatureUpdate -ScheduleJob -RestrictPrivileges -DailyReschedule"#,
        "Microsoft Malware Protection Command Line Utility",
        "MpCmdRun.exe",
    ),
    (
        r"C:\Windows\System32\gpupdate.exe",
        r"gpupdate.exe /target:computer /wait:{n}",
        "Microsoft® Windows Group Policy Refresh Utility",
        "gpupdate.exe",
    ),
];

/// Processes WMI providers typically start (children of WmiPrvSE.exe).
pub(super) const WMI_CHILDREN: &[(&str, &str, &str, &str)] = &[
    (
        r"C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe",
        r"powershell.exe -NoP -NonI -C Get-CimInstance Win32_LogicalDisk | Select-Object DeviceID,FreeSpace # {n}",
        "Windows PowerShell",
        "PowerShell.EXE",
    ),
    (
        r"C:\Windows\System32\cmd.exe",
        r"cmd.exe /c C:\Windows\Temp\inventory{n}.cmd",
        "Windows Command Processor",
        "Cmd.Exe",
    ),
    (
        r"C:\Windows\System32\msiexec.exe",
        r"msiexec.exe /qn /i C:\Windows\Temp\agent-update-{n}.msi",
        "Windows® installer",
        "msiexec.exe",
    ),
];

pub(super) const SYSTEM_DLLS: &[&str] = &[
    r"C:\Windows\System32\ntdll.dll",
    r"C:\Windows\System32\kernel32.dll",
    r"C:\Windows\System32\KernelBase.dll",
    r"C:\Windows\System32\advapi32.dll",
    r"C:\Windows\System32\msvcrt.dll",
    r"C:\Windows\System32\sechost.dll",
    r"C:\Windows\System32\rpcrt4.dll",
    r"C:\Windows\System32\combase.dll",
    r"C:\Windows\System32\ole32.dll",
    r"C:\Windows\System32\crypt32.dll",
    r"C:\Windows\System32\ws2_32.dll",
    r"C:\Windows\System32\bcryptprimitives.dll",
    r"C:\Windows\System32\winhttp.dll",
    r"C:\Windows\System32\dnsapi.dll",
    r"C:\Windows\Microsoft.NET\Framework64\v4.0.30319\clr.dll",
    r"C:\Windows\assembly\NativeImages_v4.0.30319_64\System\4f0a4d4ab7b3a9e9d8c5b6e1a2f3c4d5\System.ni.dll",
];

/// DLLs WmiPrvSE.exe loads to host WMI providers.
pub(super) const WMI_DLLS: &[&str] = &[
    r"C:\Windows\System32\wbem\wmiprov.dll",
    r"C:\Windows\System32\wbem\cimwin32.dll",
    r"C:\Windows\System32\wbem\fastprox.dll",
    r"C:\Windows\System32\wbem\wbemprox.dll",
    r"C:\Windows\System32\wbem\wbemsvc.dll",
    r"C:\Windows\System32\wbem\ntevt.dll",
    r"C:\Windows\System32\wbem\stdprov.dll",
    r"C:\Windows\System32\wbem\wmiutils.dll",
];

pub(super) const DOMAINS: &[&str] = &[
    "settings-win.data.microsoft.com",
    "v10.events.data.microsoft.com",
    "wdcp.microsoft.com",
    "login.microsoftonline.com",
    "dc01.corp.example.com",
    "fs01.corp.example.com",
    "sql02.corp.example.com",
    "wsus.corp.example.com",
    "ctldl.windowsupdate.com",
    "go.microsoft.com",
    "oneocsp.microsoft.com",
    "time.windows.com",
];

pub(super) const FILE_TARGETS: &[&str] = &[
    r"C:\Windows\Temp\MpCmdRun.log",
    r"C:\Windows\ServiceProfiles\NetworkService\AppData\Local\Microsoft\Windows\DeliveryOptimization\Logs\dosvc.{n}.etl",
    r"C:\inetpub\logs\LogFiles\W3SVC1\u_ex24030{n}.log",
    r"C:\Program Files\Microsoft SQL Server\MSSQL15.MSSQLSERVER\MSSQL\Log\log_{n}.trc",
    r"C:\Windows\Prefetch\CONHOST.EXE-0C6456FB.pf",
    r"C:\Windows\System32\Tasks\Microsoft\Windows\UpdateOrchestrator\Schedule Scan",
    r"C:\Users\svc-admin\AppData\Local\Temp\__PSScriptPolicyTest_{n}.ps1",
    r"C:\ProgramData\Microsoft\Windows Defender\Scans\History\Service\DetectionHistory\{n}",
];

/// Registry writes of ordinary processes: (image, TargetObject template, Details).
pub(super) const REGISTRY_NOISE: &[(&str, &str, &str)] = &[
    (
        SVCHOST,
        r"HKLM\System\CurrentControlSet\Services\bam\State\UserSettings\S-1-5-21-1004336348-1177238915-682003330-1104\\Device\HarddiskVolume2\Windows\System32\cmd.exe",
        "Binary Data",
    ),
    (
        SVCHOST,
        r"HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion\Schedule\TaskCache\Tree\Microsoft\Windows\UpdateOrchestrator\Schedule Scan\Index",
        "DWORD (0x00000003)",
    ),
    (
        SVCHOST,
        r"HKLM\System\CurrentControlSet\Services\W32Time\Config\LastKnownGoodTime",
        "QWORD (0x01da{n}-0x5c1e2b80)",
    ),
    (
        r"C:\Windows\explorer.exe",
        r"HKU\S-1-5-21-1004336348-1177238915-682003330-1104\Software\Microsoft\Windows\CurrentVersion\Explorer\UserAssist\{CEBFF5CD-ACE2-4F4F-9178-9926F41749EA}\Count\HRZR_PGYFRFFVBA",
        "Binary Data",
    ),
    (
        r"C:\Windows\explorer.exe",
        r"HKU\S-1-5-21-1004336348-1177238915-682003330-1104\Software\Microsoft\Windows\CurrentVersion\Explorer\RecentDocs\.log\{n}",
        "Binary Data",
    ),
    (
        r"C:\Windows\System32\msiexec.exe",
        r"HKLM\SOFTWARE\Classes\Installer\Products\{n}A2B3C4D5E6F708192A3B4C5D6E7F8\ProductName",
        "Monitoring Agent",
    ),
    (
        r"C:\Windows\System32\msiexec.exe",
        r"HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Run\MonitoringAgentTray",
        r#""C:\Program Files\Agent\tray.exe" /background"#,
    ),
    (
        r"C:\Windows\System32\services.exe",
        r"HKLM\System\CurrentControlSet\Services\AgentUpdater{n}\ImagePath",
        r#""C:\Program Files\Agent\updater.exe" --service"#,
    ),
    (
        r"C:\Windows\System32\services.exe",
        r"HKLM\System\CurrentControlSet\Services\TrustedInstaller\Start",
        "DWORD (0x00000003)",
    ),
    (
        r"C:\ProgramData\Microsoft\Windows Defender\Platform\4.18.24020.7-0\MsMpEng.exe",
        r"HKLM\SOFTWARE\Microsoft\Windows Defender\Signature Updates\SignaturesLastUpdated",
        "Binary Data",
    ),
];

/// Keys WMI maintains for itself: benign WmiPrvSE.exe registry events.
pub(super) const WBEM_KEYS: &[&str] = &[
    r"HKLM\SOFTWARE\Microsoft\Wbem\CIMOM",
    r"HKLM\SOFTWARE\Microsoft\Wbem\Transports\Decoupled\Client\{n}",
    r"HKLM\SOFTWARE\Microsoft\Wbem\ESS\//./root/CIMV2\{n}",
    r"HKLM\SOFTWARE\Microsoft\Wbem\Tracing\{n}",
];

/// Sysmon `RuleName`s of a SwiftOnSecurity/Olaf Hartong-style configuration.
pub(super) const RULE_NAMES: &[&str] = &[
    "technique_id=T1047,technique_name=Windows Management Instrumentation",
    "technique_id=T1112,technique_name=Modify Registry",
    "technique_id=T1055,technique_name=Process Injection",
];

pub(super) const PROCESS_ACCESS_CALLTRACE: &str = r"C:\Windows\SYSTEM32\ntdll.dll+9d4c4|C:\Windows\System32\KERNELBASE.dll+2c13e|C:\Windows\system32\lsasrv.dll+{n}|C:\Windows\System32\SspiSrv.dll+11a2|C:\Windows\System32\RPCRT4.dll+7e9b3|C:\Windows\System32\RPCRT4.dll+dc5e6|C:\Windows\System32\KERNEL32.DLL+17034|C:\Windows\SYSTEM32\ntdll.dll+52651";

/// Substitutes `{n}` in `template` with a random number.
pub(super) fn fill(template: &str, rng: &mut Rng) -> String {
    template.replace("{n}", &rng.range(1, 99_999).to_string())
}

pub(super) fn hashes(rng: &mut Rng) -> String {
    format!(
        "SHA1={},MD5={},SHA256={},IMPHASH={}",
        rng.hex(40),
        rng.hex(32),
        rng.hex(64),
        rng.hex(32)
    )
}

/// Provider GUIDs, parsed once.
#[derive(Debug, Clone)]
pub(super) struct ProviderIds {
    pub(super) sysmon: [u8; 16],
    pub(super) security: [u8; 16],
    pub(super) scm: [u8; 16],
    pub(super) restart_manager: [u8; 16],
}

impl ProviderIds {
    pub(super) fn new() -> Result<ProviderIds, String> {
        let parse = |g: &str| guid_from_str(g).ok_or_else(|| format!("bad GUID {g}"));
        Ok(ProviderIds {
            sysmon: parse(SYSMON_GUID)?,
            security: parse(SECURITY_GUID)?,
            scm: parse(SCM_GUID)?,
            restart_manager: parse(RESTART_MANAGER_GUID)?,
        })
    }
}
