using PositionLedger.Seeding;
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
        second.ShouldBe(new SeedReport(0, 0, 0, first.Parties + first.Issues + first.Statements));
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
}
