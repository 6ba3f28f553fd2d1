using System.Net;
using System.Net.Http.Json;
using PositionLedger.Stances;
using PositionLedger.Statements;
using PositionLedger.Tests.Infrastructure;
using static PositionLedger.Tests.Infrastructure.Scenario;
using PositionLedger.Revisions;
using PositionLedger.Search;
using PositionLedger.Timeline;

namespace PositionLedger.Tests.Stances;

public sealed class when_analysing_the_history(AppFixture app) : ApiTest(app)
{
    private Task GivenParties() => App.GivenPartiesAndIssuesAsync(["russia", "ukraine", "us"], ["ceasefire", "kursk"]);

    [Fact]
    public async Task changes_list_the_issues_whose_stance_differs_between_two_dates()
    {
        await GivenParties();
        await App.GivenAsync(
            Stated("russia", "ceasefire", Stance.Opposes, "2025-03-01"),
            Stated("russia", "kursk", Stance.Rejects, "2025-03-01"),
            Stated("russia", "ceasefire", Stance.Conditional, "2025-03-13"),
            Stated("russia", "kursk", Stance.Rejects, "2025-03-13"));

        var changes = await Client.GetFromJsonAsync<StanceChange[]>("/api/parties/russia/changes?from=2025-03-05&to=2025-03-13");

        var change = changes.ShouldHaveSingleItem();
        change.Issue.ShouldBe("ceasefire");
        change.Before!.Stance.ShouldBe("opposes");
        change.After!.Stance.ShouldBe("conditional");
    }

    [Theory]
    [InlineData("/api/parties/russia/changes?to=2025-03-13", "from")]
    [InlineData("/api/parties/russia/changes?from=2025-03-13", "to")]
    [InlineData("/api/parties/russia/changes?from=yesterday&to=2025-03-13", "from")]
    [InlineData("/api/parties/russia/changes?from=2025-03-01&to=2025-03-13&knownAt=soon", "knownAt")]
    [InlineData("/api/timeline?from=March", "from")]
    [InlineData("/api/timeline?limit=0", "limit")]
    [InlineData("/api/timeline?limit=many", "limit")]
    [InlineData("/api/timeline?after=%25%25", "after")]
    [InlineData("/api/timeline?order=desc", "order")]
    [InlineData("/api/search", "q")]
    [InlineData("/api/search?q=peace&limit=1000", "limit")]
    [InlineData("/api/events?after=-1", "after")]
    [InlineData("/api/events?limit=100000", "limit")]
    [InlineData("/api/events/live?after=yesterday", "after")]
    [InlineData("/api/stances?knownAt=2025-13-45", "knownAt")]
    public async Task a_bad_query_is_refused_naming_the_parameter(string url, string field)
    {
        await GivenParties();
        await (await Client.GetAsync(url)).ShouldNameFieldAsync(field);
    }

    [Fact]
    public async Task the_timeline_pages_through_every_statement_in_statedAt_order_without_skips_or_repeats()
    {
        await GivenParties();
        var random = new Random(7);
        var stated = Enumerable.Range(0, 23)
            .Select(i => Stated(i % 2 == 0 ? "russia" : "ukraine", "ceasefire", Stance.Supports, $"2025-03-{1 + random.Next(5):00}"))
            .ToArray();
        await App.GivenAsync(stated);

        var seen = new List<StatementItem>();
        string? next = null;
        var pages = 0;
        do
        {
            var page = await Client.GetFromJsonAsync<TimelinePage>(
                $"/api/timeline?issue=ceasefire&limit=5{(next is null ? "" : $"&after={next}")}");
            seen.AddRange(page!.Items);
            next = page.Next;
            pages++;
            // An editor writing meanwhile changes nothing for a reader already paging.
            if (pages == 2) await App.GivenAsync(Stated("russia", "ceasefire", Stance.Rejects, "2025-03-01"));
        }
        while (next is not null);

        pages.ShouldBe(5);
        seen.Select(s => s.StatementId).ShouldBe(stated.Select(s => s.StatementId.ToString()), ignoreOrder: true);
        seen.Select(s => s.StatedAt).ShouldBeInOrder();
    }

    [Fact]
    public async Task newest_first_the_timeline_pages_backwards_from_a_moment_and_the_cursor_keeps_the_order()
    {
        await GivenParties();
        var stated = Enumerable.Range(0, 12)
            .Select(i => Stated(i % 2 == 0 ? "russia" : "ukraine", "ceasefire", Stance.Supports, $"2025-03-{1 + i:00}"))
            .ToArray();
        await App.GivenAsync(stated);

        var first = await Client.GetFromJsonAsync<TimelinePage>("/api/timeline?to=2025-03-10&order=newest-first&limit=4");
        var second = await Client.GetFromJsonAsync<TimelinePage>($"/api/timeline?limit=4&after={first!.Next}");

        first.Items.Select(i => i.StatedAt).ShouldBe(["2025-03-10", "2025-03-09", "2025-03-08", "2025-03-07"]);
        second!.Items.Select(i => i.StatedAt).ShouldBe(["2025-03-06", "2025-03-05", "2025-03-04", "2025-03-03"]);
    }

    [Fact]
    public async Task the_timeline_filters_by_party_and_date_and_includes_claims()
    {
        await GivenParties();
        var claim = Claimed("ukraine", "russia", "ceasefire", Stance.Rejects, "2025-03-13");
        await App.GivenAsync(
            Stated("russia", "ceasefire", Stance.Conditional, "2025-03-13"),
            Stated("russia", "kursk", Stance.Rejects, "2025-03-12"),
            Stated("ukraine", "ceasefire", Stance.Accepts, "2025-03-11"),
            claim);

        var page = await Client.GetFromJsonAsync<TimelinePage>("/api/timeline?party=russia&from=2025-03-13&to=2025-03-13");

        page!.Items.Count.ShouldBe(2);
        page.Items.ShouldAllBe(i => i.Party == "russia" && i.StatedAt == "2025-03-13");
        page.Items.Single(i => i.ClaimedBy != null).StatementId.ShouldBe(claim.StatementId.ToString());
        page.Next.ShouldBeNull();
    }

    [Fact]
    public async Task search_finds_quotes_by_their_words_ranked_and_not_once_retracted()
    {
        await GivenParties();
        var putin = Stated("russia", "ceasefire", Stance.Conditional, "2025-03-13", speaker: "Vladimir Putin") with { };
        putin = putin with { Content = putin.Content with { Quote = "We agree with the proposals to stop hostilities" } };
        var trump = Stated("us", "ceasefire", Stance.Proposes, "2025-03-13", speaker: "Donald Trump");
        trump = trump with { Content = trump.Content with { Quote = "A very disappointing moment for the world" } };
        var retracted = Stated("ukraine", "ceasefire", Stance.Accepts, "2025-03-11");
        retracted = retracted with { Content = retracted.Content with { Quote = "Hostilities must stop" } };
        await App.GivenAsync(putin, trump, retracted, new StatementRetracted(retracted.StatementId, "Misattributed"));

        var hits = await Client.GetFromJsonAsync<SearchHit[]>("/api/search?q=hostility");
        hits!.Select(h => h.Statement.StatementId).ShouldBe([putin.StatementId.ToString()]);

        (await Client.GetFromJsonAsync<SearchHit[]>("/api/search?q=trump"))!
            .ShouldHaveSingleItem().Statement.Speaker.ShouldBe("Donald Trump");
        (await Client.GetFromJsonAsync<SearchHit[]>("/api/search?q=kursk"))!.ShouldBeEmpty();
    }
}
