using System.Net.Http.Json;
using System.Text.Json.Nodes;
using PositionLedger.Seeding;
using PositionLedger.Sources;
using PositionLedger.Tests.Infrastructure;

namespace PositionLedger.Tests.Seeding;

public sealed class when_the_ceasefire_seeds_are_loaded(AppFixture app) : ApiTest(app)
{
    private Task<SeedReport> Seed() => Seeder.SeedAsync(App.Store, Repository.Seeds, TimeProvider.System, _ => { }, CancellationToken.None);

    [Fact]
    public async Task loading_twice_appends_nothing_new()
    {
        var first = await Seed();
        var events = await App.EventCountAsync();

        var second = await Seed();

        first.Statements.ShouldBeGreaterThanOrEqualTo(15);
        first.Issues.ShouldBeGreaterThanOrEqualTo(6);
        first.Sources.ShouldBe(1);
        second.ShouldBe(new SeedReport(0, 0, 0, first.Parties + first.Issues + first.Statements + first.Sources));
        (await App.EventCountAsync()).ShouldBe(events);
    }

    [Fact]
    public async Task russia_supports_the_ceasefire_only_conditionally_on_13_march_while_ukraine_claims_it_will_reject()
    {
        await Seed();

        var russia = (await Client.StanceAsync("russia", asOf: "2025-03-13")).On("ceasefire-30-day")!;

        russia.Stance.ShouldBe("conditional");
        russia.Speaker.ShouldBe("Vladimir Putin");
        russia.Conditions.ShouldNotBeEmpty();
        russia.Conditions.ShouldContain(c => c.Contains("regroup", StringComparison.Ordinal));
        russia.Claims.ShouldContain(c => c.ClaimedBy.Party == "ukraine" && c.Stance == "rejects" && c.Speaker == "Volodymyr Zelenskiy");
    }

    [Fact]
    public async Task russia_had_no_stance_on_the_ceasefire_on_12_march()
    {
        await Seed();

        (await Client.StanceAsync("russia", asOf: "2025-03-12")).On("ceasefire-30-day").ShouldBeNull();
    }

    [Fact]
    public async Task the_us_proposed_and_ukraine_accepted_on_11_march()
    {
        await Seed();

        (await Client.StanceAsync("us", asOf: "2025-03-11")).On("ceasefire-30-day")!.Stance.ShouldBe("proposes");
        (await Client.StanceAsync("ukraine", asOf: "2025-03-11")).On("ceasefire-30-day")!.Stance.ShouldBe("accepts");
    }

    [Fact]
    public async Task every_seed_statement_is_anchored_in_the_article_at_the_place_it_names()
    {
        await Seed();
        var article = await File.ReadAllTextAsync(Path.Combine(Repository.Seeds, "source-article-2025-03-13.txt"));
        var timeline = (await Client.GetFromJsonAsync<JsonObject>("/api/timeline?limit=500"))!["items"]!.AsArray();

        timeline.Count.ShouldBeGreaterThanOrEqualTo(15);
        foreach (var item in timeline)
        {
            var statement = (await Client.GetFromJsonAsync<JsonObject>($"/api/statements/{item!["statementId"]}"))!;
            var anchor = statement["evidence"]!["anchors"]![0]!;
            var (start, end) = (anchor["start"]!.GetValue<int>(), anchor["end"]!.GetValue<int>());
            var from = TextAnchors.UnitIndex(article, start);
            article[from..TextAnchors.UnitIndex(article, end)].ShouldBe(anchor["exact"]!.GetValue<string>());
            statement["evidenceKind"]!.GetValue<string>().ShouldNotBe(EvidenceKinds.Unanchored);
        }
        var source = (await Client.GetFromJsonAsync<JsonObject>("/api/sources/wire-2025-03-13"))!;
        source["translation"]!["from"]!.GetValue<string>().ShouldBe("pt");
        source["language"]!.GetValue<string>().ShouldBe("en");
    }

    [Fact]
    public async Task russias_stance_counting_only_its_own_words_rests_on_putins_direct_quote()
    {
        await Seed();

        var stance = await Client.GetFromJsonAsync<JsonObject>("/api/parties/russia/stance?asOf=2025-03-13&evidence=direct-quote");

        var issues = stance!["issues"]!.AsArray();
        issues.ShouldNotBeEmpty();
        issues.ShouldAllBe(i => i!["evidenceKind"] == null || i["evidenceKind"]!.GetValue<string>() == EvidenceKinds.DirectQuote);
        issues.Where(i => i!["speaker"] != null).ShouldAllBe(i => i!["speaker"]!.GetValue<string>() == "Vladimir Putin");
    }
}
