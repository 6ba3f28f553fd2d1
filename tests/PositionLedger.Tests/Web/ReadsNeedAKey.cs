using Deque.AxeCore.Playwright;
using Microsoft.Playwright;
using PositionLedger.Seeding;
using PositionLedger.Tests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace PositionLedger.Tests.Web;

/// <summary>An app whose reads need a reader key (Auth:RequireReaderForReads).</summary>
public sealed class ReadersOnlyApp() : AppFixture(["--Auth:RequireReaderForReads=true"]);

[Collection(WebCollection.Name)]
public sealed class when_reads_need_a_key(ReadersOnlyApp app, BrowserFixture browser) : IClassFixture<ReadersOnlyApp>, IAsyncLifetime
{
    private IBrowserContext _context = null!;
    private IPage _page = null!;

    public async Task InitializeAsync()
    {
        await app.ResetAsync();
        await Seeder.SeedAsync(app.Store, Repository.Seeds, TimeProvider.System, _ => { }, CancellationToken.None);
        _context = await browser.Browser.NewContextAsync();
        _page = await _context.NewPageAsync();
    }

    public async Task DisposeAsync() => await _context.DisposeAsync();

    [Fact]
    public async Task the_page_asks_for_a_reader_key_and_then_shows_the_ledger()
    {
        (await app.Anonymous.GetAsync("/api/stances")).StatusCode.ShouldBe(System.Net.HttpStatusCode.Unauthorized);
        await _page.GotoAsync(new Uri(app.BaseAddress, "/?asOf=2025-03-13").ToString());

        await Expect(_page.GetByTestId("reader-access")).ToBeVisibleAsync();
        await Expect(_page.Locator("#details")).ToContainTextAsync("needs a reader key");
        (await _page.RunAxe()).Violations.Select(v => v.Id).ShouldBeEmpty();
        await _page.Locator("#reader-key").FillAsync(AppFixture.ReaderKey);
        await _page.GetByRole(AriaRole.Button, new() { Name = "Open the ledger" }).ClickAsync();

        await Expect(_page.Locator("body[data-ready=true]")).ToHaveCountAsync(1);
        await Expect(_page.GetByTestId("reader-access")).ToBeHiddenAsync();
        await Expect(_page.GetByTestId("cell-russia-ceasefire-30-day")).ToHaveAttributeAsync("data-stance", "conditional");
        var folder = Path.Combine(Repository.Root, "TestResults", "screenshots");
        Directory.CreateDirectory(folder);
        await _page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(folder, "reader-key.png"), FullPage = true });
    }
}
