<#
.SYNOPSIS
    RemoveBuiltInApps: removes the apps and optional features Windows ships with that the
    blueprint does not keep.

.DESCRIPTION
    Deployed by Intune (Devices > Scripts, profile "RemoveBuiltInApps") as the blueprint's
    intune-configuration.md "Remove built-in apps" sets it: run as SYSTEM (not with the
    logged-on credentials), signature check not enforced, in the 32-bit PowerShell host,
    assigned to grp-<agency>-windows10-dynamic.

    What it removes follows the blueprint's RemoveBuiltInApps.txt (desktop.gov.au,
    assets/files/abac): every provisioned app package except the ones the blueprint keeps, and
    every installed Feature on Demand except the ones the blueprint keeps. The keep lists are the
    blueprint's; the script itself is blueprint-the-tool's own writing of that behaviour. An
    agency that keeps its own copy points params.remove_built_in_apps_script at it.

    Differences from the blueprint's script: installed copies are removed for every user
    (-AllUsers), not only for the account the script runs as; from the 32-bit host the script
    starts itself again in the 64-bit one, where the Appx and DISM cmdlets see 64-bit Windows'
    packages; the log is kept beside the Intune Management Extension's own.
#>

$ErrorActionPreference = 'Continue'

if ($env:PROCESSOR_ARCHITEW6432 -eq 'AMD64' -and (Test-Path "$env:WINDIR\SysNative\WindowsPowerShell\v1.0\powershell.exe")) {
    & "$env:WINDIR\SysNative\WindowsPowerShell\v1.0\powershell.exe" -ExecutionPolicy Bypass -NoProfile -File $PSCommandPath
    exit $LASTEXITCODE
}

$LogFile = Join-Path $env:ProgramData 'Microsoft\IntuneManagementExtension\Logs\RemoveBuiltInApps.log'

function Write-Log {
    param([string] $Message)
    $line = '{0}  {1}' -f (Get-Date -Format 'yyyy-MM-dd HH:mm:ss'), $Message
    Add-Content -Path $LogFile -Value $line -ErrorAction SilentlyContinue
    Write-Output $line
}

# App packages the blueprint keeps (provisioned package display names).
$KeepApps = @(
    'Microsoft.DesktopAppInstaller'
    'Microsoft.Messaging'
    'Microsoft.MSPaint'
    'Microsoft.Windows.Photos'
    'Microsoft.StorePurchaseApp'
    'Microsoft.MicrosoftOfficeHub'
    'Microsoft.MicrosoftStickyNotes'
    'Microsoft.WindowsAlarms'
    'Microsoft.WindowsCalculator'
    'Microsoft.WindowsSoundRecorder'
    'Microsoft.WindowsStore'
    # Windows 10 1809
    'Microsoft.ScreenSketch'
    'Microsoft.HEIFImageExtension'
    'Microsoft.VP9VideoExtensions'
    'Microsoft.WebMediaExtensions'
    'Microsoft.WebpImageExtension'
)

# Features on Demand the blueprint keeps (capability names matching any of these).
$KeepFeatures = @(
    'NetFX3'
    'Tools.Graphics.DirectX'
    'Tools.DeveloperMode.Core'
    'Language'
    'Browser.InternetExplorer'
    'ContactSupport'
    'OneCoreUAP'
    'Media.WindowsMediaPlayer'
    'Hello.Face'
)

function Test-Kept {
    param([string] $Name, [string[]] $Patterns)
    foreach ($Pattern in $Patterns) {
        if ($Name -match [regex]::Escape($Pattern)) { return $true }
    }
    return $false
}

Write-Log "RemoveBuiltInApps started on $env:COMPUTERNAME"

foreach ($Package in Get-AppxProvisionedPackage -Online) {
    $Name = $Package.DisplayName
    if ($KeepApps -contains $Name) {
        Write-Log "Kept $Name"
        continue
    }
    foreach ($Installed in Get-AppxPackage -AllUsers -Name $Name) {
        try {
            Remove-AppxPackage -Package $Installed.PackageFullName -AllUsers -ErrorAction Stop
            Write-Log "Removed $($Installed.PackageFullName)"
        }
        catch {
            Write-Log "Could not remove $($Installed.PackageFullName): $($_.Exception.Message)"
        }
    }
    try {
        Remove-AppxProvisionedPackage -Online -PackageName $Package.PackageName -ErrorAction Stop | Out-Null
        Write-Log "Removed provisioned package $($Package.PackageName)"
    }
    catch {
        Write-Log "Could not remove provisioned package $($Package.PackageName): $($_.Exception.Message)"
    }
}

try {
    $Capabilities = Get-WindowsCapability -Online -LimitAccess -ErrorAction Stop |
        Where-Object { $_.State -eq 'Installed' -and -not (Test-Kept $_.Name $KeepFeatures) }
    foreach ($Capability in $Capabilities) {
        try {
            Remove-WindowsCapability -Online -Name $Capability.Name -ErrorAction Stop | Out-Null
            Write-Log "Removed Feature on Demand $($Capability.Name)"
        }
        catch {
            Write-Log "Could not remove Feature on Demand $($Capability.Name): $($_.Exception.Message)"
        }
    }
}
catch {
    Write-Log "Could not list Features on Demand: $($_.Exception.Message)"
}

Write-Log 'RemoveBuiltInApps finished'
exit 0
