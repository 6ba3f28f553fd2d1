using System.Globalization;
using System.Net.Http.Json;
using Deque.AxeCore.Playwright;
using Microsoft.Playwright;
using PositionLedger.Seeding;
using PositionLedger.Tests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace PositionLedger.Tests.Web;

/// <summary>The page at / in a real headless Chromium, on the seed data. Each test saves a screenshot.</summary>
[Collection(WebCollection.Name)]
public sealed class when_a_reader_opens_the_page(AppFixture app, BrowserFixture browser) : IAsyncLifetime
{
    private IBrowserContext _context = null!;
    private IPage _page = null!;
    private readonly List<string> _outsideRequests = [];
    private readonly List<string> _policyViolations = [];

    public async Task InitializeAsync()
    {
        await app.ResetAsync();
        await Seeder.SeedAsync(app.Store, Repository.Seeds, TimeProvider.System, _ => { }, CancellationToken.None);
        _context = await browser.Browser.NewContextAsync(new BrowserNewContextOptions
        {
            ViewportSize = new ViewportSize { Width = 1280, Height = 800 },
        });
        _page = await _context.NewPageAsync();
        _page.Request += (_, request) =>
        {
            if (!request.Url.StartsWith(app.BaseAddress.ToString(), StringComparison.Ordinal)
                && !request.Url.StartsWith("data:", StringComparison.Ordinal))
                _outsideRequests.Add(request.Url);
        };
        // Chromium reports every script or style the Content-Security-Policy blocked on the console.
        _page.Console += (_, message) =>
        {
            if (message.Text.Contains("Content Security Policy", StringComparison.Ordinal)) _policyViolations.Add(message.Text);
        };
    }

    public async Task DisposeAsync()
    {
        await _context.DisposeAsync();
        _policyViolations.ShouldBeEmpty("the page must work under its Content-Security-Policy");
    }

    private async Task Open(string asOf)
    {
        await _page.GotoAsync(new Uri(app.BaseAddress, $"/?asOf={asOf}").ToString());
        // Generous: under load on a 2-core machine the first render can take seconds.
        await Expect(_page.Locator("body[data-ready=true]")).ToHaveCountAsync(1, new() { Timeout = 15_000 });
    }

    /// <summary>axe-core's rules (WCAG 2.x A and AA, and best practices) over the page as it stands now.</summary>
    private async Task ShouldHaveNoAccessibilityViolations()
    {
        var result = await _page.RunAxe();
        result.Violations.Select(v => $"{v.Id}: {v.Help} ({string.Join(", ", v.Nodes.Select(n => n.Html))})").ShouldBeEmpty();
    }

    private ILocator Cell(string party, string issue) => _page.GetByTestId($"cell-{party}-{issue}");

    private async Task Screenshot(string name)
    {
        var folder = Path.Combine(Repository.Root, "TestResults", "screenshots");
        Directory.CreateDirectory(folder);
        await _page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(folder, $"{name}.png"), FullPage = true });
    }

    [Fact]
    public async Task each_cell_says_how_the_ledger_knows_and_direct_quotes_only_counts_the_speakers_own_words()
    {
        await Open("2025-03-13");
        await Expect(Cell("russia", "ceasefire-30-day")).ToHaveAttributeAsync("data-evidence", "direct-quote");
        (await Cell("russia", "ceasefire-30-day").EvaluateAsync<string>("b => getComputedStyle(b, '::after').content")).ShouldBe("\"❝\"");
        await Expect(_page.GetByTestId("evidence-legend")).ToContainTextAsync("inference");
        await Expect(Cell("russia", "leaders-call")).ToHaveAttributeAsync("data-evidence", "paraphrase");

        await _page.Locator("#evidence-filter").SelectOptionAsync("direct-quote");

        await Expect(Cell("russia", "ceasefire-30-day")).ToHaveAttributeAsync("data-evidence", "direct-quote");
        await Expect(Cell("russia", "leaders-call")).ToHaveAttributeAsync("data-stance", "");
        await Screenshot("matrix-direct-quotes-only");
        await ShouldHaveNoAccessibilityViolations();
    }

    [Fact]
    public async Task see_in_source_opens_the_archived_article_at_the_statements_highlight_with_its_translation_named()
    {
        await Open("2025-03-13");
        await Cell("russia", "ceasefire-30-day").ClickAsync();

        await _page.GetByTestId("see-in-source").ClickAsync();

        await Expect(_page.GetByTestId("source-view")).ToBeVisibleAsync();
        await Expect(_page.GetByTestId("source-provenance")).ToContainTextAsync("machine translation from Portuguese");
        (await _page.GetByTestId("highlight").CountAsync()).ShouldBeGreaterThanOrEqualTo(10);
        var focused = await _page.EvaluateAsync<string>("() => document.activeElement?.dataset.statement ?? ''");
        focused.ShouldNotBeEmpty();
        await Screenshot("source-view");
        await ShouldHaveNoAccessibilityViolations();

        await _page.GetByTestId("highlight").Nth(0).GetByRole(AriaRole.Button).ClickAsync();
        await Expect(_page.Locator("#details h3")).Not.ToBeEmptyAsync();
    }

    [Fact]
    public async Task the_matrix_shows_russia_conditional_on_13_march_with_claims_and_no_stance_on_12_march()
    {
        await Open("2025-03-13");

        await Expect(Cell("russia", "ceasefire-30-day")).ToHaveAttributeAsync("data-stance", "conditional");
        await Expect(Cell("russia", "ceasefire-30-day").GetByTestId("claims-marker")).ToBeVisibleAsync();
        await Expect(Cell("us", "ceasefire-30-day")).ToHaveAttributeAsync("data-stance", "proposes");
        await Screenshot("matrix-2025-03-13");
        await ShouldHaveNoAccessibilityViolations();

        await Open("2025-03-12");
        await Expect(Cell("russia", "ceasefire-30-day")).ToHaveAttributeAsync("data-stance", "");
        await Expect(Cell("russia", "ceasefire-30-day").GetByTestId("claims-marker")).ToHaveCountAsync(0);
        await Expect(Cell("ukraine", "ceasefire-30-day")).ToHaveAttributeAsync("data-stance", "accepts");
        await Screenshot("matrix-2025-03-12");
        _outsideRequests.ShouldBeEmpty();
    }

    [Fact]
    public async Task the_known_at_control_shows_what_the_ledger_knew_then()
    {
        await Open("2025-03-13");

        // Before the seeds were recorded the ledger knew nothing.
        await _page.Locator("#knownat").FillAsync("2020-01-01T00:00");
        await _page.Locator("#knownat").DispatchEventAsync("change");
        await Expect(Cell("russia", "ceasefire-30-day")).ToHaveAttributeAsync("data-stance", "");

        await _page.Locator("#knownat-now").ClickAsync();
        await Expect(Cell("russia", "ceasefire-30-day")).ToHaveAttributeAsync("data-stance", "conditional");
    }

    [Fact]
    public async Task a_slow_answer_for_an_earlier_date_never_overwrites_a_newer_one()
    {
        await Open("2025-03-13");
        var release = new TaskCompletionSource();
        await _page.RouteAsync("**/api/stances?asOf=2025-03-12*", async route =>
        {
            await release.Task;
            await route.ContinueAsync();
        });

        // 12 March is asked for first, and its answer held back until 13 March has been asked for and shown.
        await _page.Locator("#asof-date").FillAsync("2025-03-12");
        await _page.Locator("#asof-date").DispatchEventAsync("change");
        await _page.Locator("#asof-date").FillAsync("2025-03-13");
        await _page.Locator("#asof-date").DispatchEventAsync("change");
        await Expect(Cell("russia", "ceasefire-30-day")).ToHaveAttributeAsync("data-stance", "conditional");
        var stale = _page.WaitForResponseAsync(r => r.Url.Contains("asOf=2025-03-12", StringComparison.Ordinal));
        release.SetResult();
        await stale;
        await _page.WaitForTimeoutAsync(500);

        (await _page.Locator("#asof-value").TextContentAsync()).ShouldBe("2025-03-13");
        (await Cell("russia", "ceasefire-30-day").GetAttributeAsync("data-stance")).ShouldBe("conditional");
    }

    [Fact]
    public async Task moving_the_date_slider_redraws_the_matrix()
    {
        await Open("2025-03-13");

        var slider = _page.Locator("#asof-slider");
        await slider.FocusAsync();
        await slider.PressAsync("ArrowLeft");

        await Expect(_page.Locator("#asof-value")).ToHaveTextAsync("2025-03-12");
        await Expect(slider).ToHaveAttributeAsync("aria-valuetext", "2025-03-12");
        await Expect(Cell("russia", "ceasefire-30-day")).ToHaveAttributeAsync("data-stance", "");
    }

    [Fact]
    public async Task selecting_a_cell_shows_putins_quote_the_conditions_the_claims_and_the_revisions()
    {
        await Open("2025-03-13");

        await Cell("russia", "ceasefire-30-day").ClickAsync();

        await Expect(_page.GetByTestId("details-quote")).ToContainTextAsync("We agree with the proposals to stop hostilities");
        await Expect(_page.Locator("#details")).ToContainTextAsync("Vladimir Putin");
        // Claims name the party that made them, not its id.
        await Expect(_page.Locator("#details")).ToContainTextAsync("claimed by Ukraine");
        await Expect(_page.Locator("#details")).ToContainTextAsync("regroup and rearm");
        await Expect(_page.GetByTestId("claim")).ToHaveCountAsync(3);
        await Expect(_page.Locator("#details")).ToContainTextAsync("Volodymyr Zelenskiy");
        await Expect(_page.Locator("ol.revisions li")).ToHaveCountAsync(1);
        await Screenshot("details-putin");
        await ShouldHaveNoAccessibilityViolations();
    }

    [Fact]
    public async Task the_timeline_draws_one_step_line_per_party_with_quotes_on_the_points()
    {
        await Open("2025-03-13");
        await _page.Locator("#chart-issue").SelectOptionAsync("ceasefire-30-day");

        var lines = _page.GetByTestId("timeline-line");
        await Expect(lines).ToHaveCountAsync(3);
        (await lines.EvaluateAllAsync<string[]>("ls => ls.map(l => l.dataset.party).sort()")).ShouldBe(["russia", "ukraine", "us"]);
        await _page.GetByTestId("timeline-point").First.HoverAsync();
        await Expect(_page.Locator(".tooltip")).ToBeVisibleAsync();
        await Screenshot("timeline-ceasefire");
    }

    [Fact]
    public async Task zooming_in_narrows_the_timeline_around_the_moment_shown_and_zooming_out_brings_the_whole_history_back()
    {
        await Open("2025-03-13");
        await _page.Locator("#chart-issue").SelectOptionAsync("ceasefire-30-day");
        var axis = _page.Locator("#chart svg").First.Locator("text");
        await Expect(_page.GetByTestId("timeline-line")).ToHaveCountAsync(3);
        var whole = await axis.AllTextContentsAsync();

        for (var i = 0; i < 3; i++) await _page.GetByTestId("zoom-in").ClickAsync();

        await Expect(axis).Not.ToHaveTextAsync([.. whole]);
        var zoomed = await axis.AllTextContentsAsync();
        var (from, to) = (DateOnly.Parse(zoomed[^2], CultureInfo.InvariantCulture), DateOnly.Parse(zoomed[^1], CultureInfo.InvariantCulture));
        from.ShouldBeLessThanOrEqualTo(new DateOnly(2025, 3, 13));
        to.ShouldBeGreaterThanOrEqualTo(new DateOnly(2025, 3, 13));
        (to.DayNumber - from.DayNumber).ShouldBeLessThan(DateOnly.Parse(whole[^1], CultureInfo.InvariantCulture).DayNumber
            - DateOnly.Parse(whole[^2], CultureInfo.InvariantCulture).DayNumber);
        await Expect(_page.GetByTestId("chart-note")).ToHaveTextAsync("Every change point is drawn.");
        await Screenshot("timeline-zoomed-in");

        for (var i = 0; i < 3; i++) await _page.GetByTestId("zoom-out").ClickAsync();

        await Expect(axis).ToHaveTextAsync([.. whole]);
    }

    [Theory]
    [InlineData(1280, 800)]
    [InlineData(390, 844)]
    public async Task under_the_timeline_the_convergence_line_shows_how_far_apart_the_parties_are(int width, int height)
    {
        await _page.SetViewportSizeAsync(width, height);
        await Open("2025-03-13");
        await _page.Locator("#chart-issue").SelectOptionAsync("ceasefire-30-day");

        // On 13 March the US proposes and Kyiv accepts (+2 each) and Moscow is conditional (+1): one step apart.
        await Expect(_page.GetByTestId("convergence-caption")).ToContainTextAsync("gap 1 of 4 as of 2025-03-13");
        await Expect(_page.GetByTestId("convergence-line")).ToHaveCountAsync(1);
        await Screenshot($"convergence-ceasefire-{width}x{height}");
        await ShouldHaveNoAccessibilityViolations();
    }

    [Fact]
    public async Task an_editor_appends_a_statement_and_the_matrix_shows_it()
    {
        await Open("2025-03-13");
        await Expect(Cell("russia", "kursk")).ToHaveAttributeAsync("data-stance", "opposes");

        await _page.Locator("#editor-key").FillAsync(AppFixture.EditorKey);
        await _page.Locator("#editor-key").DispatchEventAsync("change");
        await _page.Locator("#f-party").SelectOptionAsync("russia");
        await _page.Locator("#f-issue").SelectOptionAsync("kursk");
        await _page.Locator("#f-stance").SelectOptionAsync("rejects");
        await _page.Locator("#f-statedAt").FillAsync("2025-03-13");
        await _page.Locator("#f-speaker").FillAsync("Dmitry Peskov");
        await _page.Locator("#f-outlet").FillAsync("TASS");
        await _page.Locator("#f-quote").FillAsync("There can be no ceasefire in Kursk.");
        await _page.GetByRole(AriaRole.Button, new() { Name = "Append" }).ClickAsync();

        await Expect(_page.Locator("#append-result")).ToContainTextAsync("Appended");
        await Expect(Cell("russia", "kursk")).ToHaveAttributeAsync("data-stance", "rejects");
        await Screenshot("editor-appended");
    }

    [Fact]
    public async Task a_bad_submission_shows_the_error_next_to_the_field_it_names()
    {
        await Open("2025-03-13");
        await _page.Locator("#editor-key").FillAsync(AppFixture.EditorKey);
        await _page.Locator("#editor-key").DispatchEventAsync("change");
        await _page.Locator("#f-statedAt").FillAsync("2999-01-01");
        await _page.Locator("#f-speaker").FillAsync("Someone");
        await _page.Locator("#f-outlet").FillAsync("Wire");

        await _page.GetByRole(AriaRole.Button, new() { Name = "Append" }).ClickAsync();

        await Expect(_page.Locator(".error[data-field=quote]")).ToContainTextAsync("quote");
        await Expect(_page.Locator(".error[data-field=statedAt]")).ToContainTextAsync("future");
        await Expect(_page.Locator("#f-quote")).ToHaveAttributeAsync("aria-invalid", "true");
        await Screenshot("editor-field-errors");
        await ShouldHaveNoAccessibilityViolations();
    }

    [Theory]
    [InlineData(1280, 800)]
    [InlineData(390, 844)]
    public async Task the_party_record_scores_the_claims_a_party_made_and_lists_its_reversals(int width, int height)
    {
        await _page.SetViewportSizeAsync(width, height);
        await Open("2025-03-13");

        await _page.Locator("#party-select").SelectOptionAsync("ukraine");

        // Zelenskiy's two claims that Russia would reject the ceasefire: nothing Russia said by 13 March settles them.
        await Expect(_page.GetByTestId("claims-summary"))
            .ToHaveTextAsync("Ukraine: 2 claims, 0 borne out, 0 contradicted, 2 open as of 13 March 2025");
        await Expect(_page.GetByTestId("claims-made").Locator("li[data-resolution=open]")).ToHaveCountAsync(2);
        await Screenshot($"party-ukraine-{width}x{height}");
        await ShouldHaveNoAccessibilityViolations();

        await _page.Locator("#party-select").SelectOptionAsync("russia");
        await Expect(_page.GetByTestId("claims-summary")).ToContainTextAsync("Russia: ");
        await Expect(_page.GetByTestId("flips").Locator("li")).Not.ToHaveCountAsync(0);
    }

    [Theory]
    [InlineData(1280, 800)]
    [InlineData(390, 844)]
    public async Task the_replay_steps_from_11_to_13_march_outlining_the_cells_that_changed_and_showing_their_statements(
        int width, int height)
    {
        await _page.SetViewportSizeAsync(width, height);
        await Open("2025-03-10");
        var forward = _page.Locator("#replay-forward");
        var changed = _page.Locator("td[data-changed=true] button");

        await forward.ClickAsync();
        await Expect(_page.Locator("#asof-value")).ToHaveTextAsync("2025-03-11");
        // The US proposes and Kyiv accepts the ceasefire, and both speak on military aid: four cells change.
        await Expect(changed).ToHaveCountAsync(4);
        await Expect(Cell("us", "ceasefire-30-day").Locator("xpath=..")).ToHaveAttributeAsync("data-changed", "true");
        await Expect(_page.GetByTestId("replay-statement")).ToHaveCountAsync(4);
        await Expect(_page.GetByTestId("details-quote")).Not.ToBeEmptyAsync();

        await forward.ClickAsync();
        await Expect(_page.Locator("#asof-value")).ToHaveTextAsync("2025-03-12");
        await Expect(changed).ToHaveCountAsync(1);
        await Expect(changed).ToHaveAttributeAsync("data-testid", "cell-russia-kursk");
        await Expect(_page.GetByTestId("replay-statement")).ToContainTextAsync("Russia rejects on");

        await forward.ClickAsync();
        await Expect(_page.Locator("#asof-value")).ToHaveTextAsync("2025-03-13");
        await Expect(Cell("russia", "ceasefire-30-day").Locator("xpath=..")).ToHaveAttributeAsync("data-changed", "true");
        await Expect(Cell("russia", "ceasefire-30-day")).ToHaveAttributeAsync("data-stance", "conditional");
        _page.Url.ShouldContain("asOf=2025-03-13");
        await Screenshot($"replay-13-march-{width}x{height}");
        await ShouldHaveNoAccessibilityViolations();

        // By keyboard: J steps back, L forward.
        await _page.Locator("body").PressAsync("j");
        await Expect(_page.Locator("#asof-value")).ToHaveTextAsync("2025-03-12");
        await _page.Locator("body").PressAsync("j");
        await Expect(_page.Locator("#asof-value")).ToHaveTextAsync("2025-03-11");
        await Expect(Cell("russia", "kursk")).ToHaveAttributeAsync("data-stance", "");
        await _page.Locator("body").PressAsync("l");
        await Expect(_page.Locator("#asof-value")).ToHaveTextAsync("2025-03-12");
    }

    [Fact]
    public async Task play_runs_through_every_change_point_to_the_end_and_then_stops()
    {
        await Open("2025-03-10");
        await _page.Locator("#replay-speed").SelectOptionAsync("300");

        await _page.Locator("#replay-play").ClickAsync();
        await Expect(_page.Locator("#replay-play")).ToHaveAttributeAsync("data-playing", "true");

        await Expect(_page.Locator("#asof-value")).ToHaveTextAsync("2025-03-13", new() { Timeout = 10_000 });
        await Expect(_page.Locator("#replay-play")).ToHaveAttributeAsync("data-playing", "false", new() { Timeout = 10_000 });
        await Expect(_page.Locator("#replay-play")).ToHaveTextAsync("▶ Play");

        // Played again at the end, it starts from the first change point.
        await _page.Locator("body").PressAsync("k");
        await Expect(_page.Locator("#asof-value")).ToHaveTextAsync("2025-03-11");
        await _page.Locator("body").PressAsync("k");
        await Expect(_page.Locator("#replay-play")).ToHaveAttributeAsync("data-playing", "false");
    }

    [Fact]
    public async Task the_link_to_a_moment_shows_that_moment_again_after_the_ledger_changed()
    {
        await Open("2025-03-13");
        await Expect(Cell("russia", "kursk")).ToHaveAttributeAsync("data-stance", "opposes");
        var link = await _page.GetByTestId("moment-link").GetAttributeAsync("href");

        // Later, an editor records that Moscow rejected any ceasefire in Kursk on the 13th.
        var appended = await app.Client.PostAsJsonAsync("/api/statements", new
        {
            party = "russia", issue = "kursk", stance = "rejects", statedAt = "2025-03-13", speaker = "Dmitry Peskov",
            quote = "There can be no ceasefire in Kursk.", source = new { outlet = "TASS" },
        });
        appended.EnsureSuccessStatusCode();

        await Open("2025-03-13");
        await Expect(Cell("russia", "kursk")).ToHaveAttributeAsync("data-stance", "rejects");
        await _page.GotoAsync(new Uri(app.BaseAddress, link!).ToString());
        await Expect(_page.Locator("body[data-ready=true]")).ToHaveCountAsync(1, new() { Timeout = 15_000 });
        await Expect(Cell("russia", "kursk")).ToHaveAttributeAsync("data-stance", "opposes");
        (await _page.Locator("#knownat").InputValueAsync()).ShouldNotBeEmpty();

        // The evidence filter is part of the moment: counting only inferences, Kursk rests on the reading of 12 March.
        await _page.Locator("#evidence-filter").SelectOptionAsync("inference");
        await Expect(Cell("russia", "kursk")).ToHaveAttributeAsync("data-evidence", "inference");
        await _page.ReloadAsync();
        await Expect(_page.Locator("body[data-ready=true]")).ToHaveCountAsync(1, new() { Timeout = 15_000 });
        await Expect(_page.Locator("#evidence-filter")).ToHaveValueAsync("inference");
        await Expect(Cell("russia", "kursk")).ToHaveAttributeAsync("data-stance", "rejects");
        _page.Url.ShouldContain("knownAt=");
    }

    [Fact]
    public async Task it_is_usable_by_keyboard_and_at_phone_width()
    {
        await _page.SetViewportSizeAsync(390, 844);
        await Open("2025-03-13");

        await Cell("russia", "ceasefire-30-day").FocusAsync();
        await _page.Keyboard.PressAsync("Enter");

        await Expect(_page.GetByTestId("details-quote")).ToContainTextAsync("We agree");
        await Screenshot("phone-width");
        // Nothing sticks out sideways (a wide table scrolls inside its own box).
        var wider = await _page.EvaluateAsync<string[]>(
            "[...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > window.innerWidth + 1 && !e.closest('.table-wrap')).map(e => e.tagName + '#' + e.id + '.' + e.className)");
        wider.ShouldBeEmpty();
    }
}
