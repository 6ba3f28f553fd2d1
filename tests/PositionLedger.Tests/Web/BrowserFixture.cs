using Microsoft.Playwright;

namespace PositionLedger.Tests.Web;

/// <summary>
/// One headless Chromium for the web tests: the machine's own (Debian's chromium package), driven by
/// Playwright's bundled driver, so nothing is downloaded. Without a browser the run fails; it never skips.
/// </summary>
public sealed class BrowserFixture : IAsyncLifetime
{
    public const string Variable = "POSITIONLEDGER_CHROMIUM";

    private IPlaywright? _playwright;

    public IBrowser Browser { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var executable = Environment.GetEnvironmentVariable(Variable) ?? "/usr/bin/chromium";
        if (!File.Exists(executable))
            throw new InvalidOperationException(
                $"No Chromium at {executable}: install Debian's chromium package (apt-get install chromium; deploy/test.sh does) or set {Variable}.");
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = executable,
            Headless = true,
            Args =
            [
                "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update",
                "--disable-sync",
            ],
        });
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null) await Browser.DisposeAsync();
        _playwright?.Dispose();
    }
}

[CollectionDefinition(Name)]
public sealed class WebCollection : ICollectionFixture<Infrastructure.AppFixture>, ICollectionFixture<BrowserFixture>
{
    public const string Name = "web";
}
