using Deque.AxeCore.Playwright;
using Microsoft.Playwright;
using PositionLedger.Seeding;
using PositionLedger.Tests.Infrastructure;
using PositionLedger.Tests.Reviews;
using static Microsoft.Playwright.Assertions;

namespace PositionLedger.Tests.Web;

/// <summary>The page under review: an editor proposes, a verifier approves from the queue, a reader sees only the result.</summary>
[Collection(WebCollection.Name)]
public sealed class when_changes_wait_for_review_on_the_page(ReviewedApp app, BrowserFixture browser) : IClassFixture<ReviewedApp>, IAsyncLifetime
{
    private readonly List<IBrowserContext> _contexts = [];

    public async Task InitializeAsync()
    {
        await app.ResetAsync();
        await Seeder.SeedAsync(app.Store, Repository.Seeds, TimeProvider.System, _ => { }, CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        foreach (var context in _contexts) await context.DisposeAsync();
    }

    private async Task<IPage> OpenAsync(int width, int height, string? key)
    {
        var context = await browser.Browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new() { Width = width, Height = height } });
        _contexts.Add(context);
        var page = await context.NewPageAsync();
        await page.GotoAsync(new Uri(app.BaseAddress, "/?asOf=2025-03-13").ToString());
        await Expect(page.Locator("body[data-ready=true]")).ToHaveCountAsync(1, new() { Timeout = 15_000 });
        if (key is not null)
        {
            // As a person does: type the key, then leave the field (the browser's change event, once).
            await page.Locator("#editor-key").FillAsync(key);
            await page.Locator("#editor-key").PressAsync("Tab");
            await Expect(page.GetByTestId("review-queue")).ToBeVisibleAsync();
        }
        return page;
    }

    private static async Task Screenshot(IPage page, string name)
    {
        var folder = Path.Combine(Repository.Root, "TestResults", "screenshots");
        Directory.CreateDirectory(folder);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(folder, $"{name}.png"), FullPage = true });
    }

    [Theory]
    [InlineData(1280, 800)]
    [InlineData(390, 844)]
    public async Task an_editors_statement_waits_in_the_queue_until_a_verifier_approves_it_there(int width, int height)
    {
        var editor = await OpenAsync(width, height, AppFixture.EditorKey);
        await Expect(editor.GetByTestId("review-queue")).ToBeVisibleAsync();
        await editor.Locator("#f-party").SelectOptionAsync("russia");
        await editor.Locator("#f-issue").SelectOptionAsync("kursk");
        await editor.Locator("#f-stance").SelectOptionAsync("rejects");
        await editor.Locator("#f-statedAt").FillAsync("2025-03-13");
        await editor.Locator("#f-speaker").FillAsync("Dmitry Peskov");
        await editor.Locator("#f-outlet").FillAsync("TASS");
        await editor.Locator("#f-quote").FillAsync("There can be no ceasefire in Kursk.");
        await editor.GetByRole(AriaRole.Button, new() { Name = "Append" }).ClickAsync();

        await Expect(editor.Locator("#append-result")).ToContainTextAsync("waits for a verifier");
        await Expect(editor.GetByTestId("my-proposals").GetByTestId("proposal")).ToHaveCountAsync(1);
        await Expect(editor.GetByTestId("cell-russia-kursk")).ToHaveAttributeAsync("data-stance", "opposes");

        var reader = await OpenAsync(width, height, null);
        await Expect(reader.GetByTestId("review-queue")).ToBeHiddenAsync();
        await Expect(reader.GetByTestId("cell-russia-kursk")).ToHaveAttributeAsync("data-stance", "opposes");

        var verifier = await OpenAsync(width, height, ReviewedApp.FirstVerifierKey);
        var proposal = verifier.GetByTestId("to-review").GetByTestId("proposal");
        await Expect(proposal).ToHaveCountAsync(1);
        await Expect(proposal).ToContainTextAsync("proposed by test-editor");
        await Expect(proposal.Locator("table.diff")).ToContainTextAsync("There can be no ceasefire in Kursk.");
        await Screenshot(verifier, $"review-queue-{width}x{height}");
        (await verifier.RunAxe()).Violations.Select(v => $"{v.Id}: {string.Join(", ", v.Nodes.Select(n => n.Html))}").ShouldBeEmpty();

        await proposal.Locator("input[name=note]").FillAsync("Checked against the TASS wire.");
        await proposal.GetByRole(AriaRole.Button, new() { Name = "Approve" }).ClickAsync();

        await Expect(verifier.GetByTestId("cell-russia-kursk")).ToHaveAttributeAsync("data-stance", "rejects");
        await Expect(verifier.GetByTestId("to-review")).ToContainTextAsync("Nothing waits for your review.");
        await reader.ReloadAsync();
        await Expect(reader.Locator("body[data-ready=true]")).ToHaveCountAsync(1, new() { Timeout = 15_000 });
        await Expect(reader.GetByTestId("cell-russia-kursk")).ToHaveAttributeAsync("data-stance", "rejects");
    }

    [Fact]
    public async Task a_verifier_rejects_with_a_reason_and_cannot_decide_their_own()
    {
        var first = await OpenAsync(1280, 800, ReviewedApp.FirstVerifierKey);
        await first.Locator("#f-party").SelectOptionAsync("us");
        await first.Locator("#f-issue").SelectOptionAsync("territory");
        await first.Locator("#f-stance").SelectOptionAsync("supports");
        await first.Locator("#f-statedAt").FillAsync("2025-03-13");
        await first.Locator("#f-speaker").FillAsync("A spokesman");
        await first.Locator("#f-outlet").FillAsync("Wire");
        await first.Locator("#f-quote").FillAsync("We support it.");
        await first.GetByRole(AriaRole.Button, new() { Name = "Append" }).ClickAsync();
        // One's own proposal is listed apart, without buttons.
        await Expect(first.GetByTestId("my-proposals").GetByTestId("proposal")).ToHaveCountAsync(1);
        await Expect(first.GetByTestId("my-proposals").GetByRole(AriaRole.Button, new() { Name = "Approve" })).ToHaveCountAsync(0);

        var second = await OpenAsync(1280, 800, ReviewedApp.SecondVerifierKey);
        var proposal = second.GetByTestId("to-review").GetByTestId("proposal");
        await proposal.Locator("input[name=note]").FillAsync("No source for this.");
        await proposal.GetByRole(AriaRole.Button, new() { Name = "Reject" }).ClickAsync();

        await Expect(second.GetByTestId("to-review")).ToContainTextAsync("Nothing waits for your review.");
        await Expect(second.GetByTestId("cell-us-territory")).ToHaveAttributeAsync("data-stance", "noncommittal");
        await Screenshot(second, "review-rejected");
    }
}
