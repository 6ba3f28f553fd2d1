using System.Net.Http.Json;
using PositionLedger.Statements;
using PositionLedger.Tests.Infrastructure;
using static PositionLedger.Tests.Infrastructure.Scenario;

namespace PositionLedger.Tests.Stances;

/// <summary>DESIGN.md's stance rules, as given-events / then-stance specifications over HTTP.</summary>
public sealed class when_the_stance_rules_are_applied(AppFixture app) : ApiTest(app)
{
    private Task GivenRussiaAndUkraineOnTheCeasefire() =>
        App.GivenPartiesAndIssuesAsync(["russia", "ukraine", "us"], ["ceasefire", "kursk"]);

    [Fact]
    public async Task the_basis_is_the_own_statement_with_the_latest_statedAt_not_after_asOf()
    {
        await GivenRussiaAndUkraineOnTheCeasefire();
        await App.GivenAsync(
            Stated("russia", "ceasefire", Stance.Supports, "2025-03-11"),
            Stated("russia", "ceasefire", Stance.Rejects, "2025-03-13"));

        (await Client.StanceAsync("russia", asOf: "2025-03-10")).On("ceasefire").ShouldBeNull();
        (await Client.StanceAsync("russia", asOf: "2025-03-12")).On("ceasefire")!.Stance.ShouldBe("supports");
        (await Client.StanceAsync("russia", asOf: "2025-03-13")).On("ceasefire")!.Stance.ShouldBe("rejects");
    }

    [Fact]
    public async Task a_back_filled_statement_does_not_override_a_later_stated_one()
    {
        await GivenRussiaAndUkraineOnTheCeasefire();
        var latest = Stated("russia", "ceasefire", Stance.Conditional, "2025-03-13", conditions: ["verification"]);
        await App.GivenAsync(latest, Stated("russia", "ceasefire", Stance.Rejects, "2025-03-01"));

        var stance = (await Client.StanceAsync("russia", asOf: "2025-03-20")).On("ceasefire")!;

        stance.Stance.ShouldBe("conditional");
        stance.Conditions.ShouldBe(["verification"]);
        stance.StatementId.ShouldBe(latest.StatementId.ToString());
        stance.StatedAt.ShouldBe("2025-03-13");
    }

    [Fact]
    public async Task on_equal_statedAt_the_statement_recorded_later_wins()
    {
        await GivenRussiaAndUkraineOnTheCeasefire();
        var first = Stated("russia", "ceasefire", Stance.Supports, "2025-03-13");
        var second = Stated("russia", "ceasefire", Stance.Opposes, "2025-03-13");
        await App.GivenAsync(first, second);

        (await Client.StanceAsync("russia", asOf: "2025-03-13")).On("ceasefire")!.StatementId.ShouldBe(second.StatementId.ToString());
    }

    [Fact]
    public async Task a_date_only_asOf_includes_the_whole_of_that_UTC_day()
    {
        await GivenRussiaAndUkraineOnTheCeasefire();
        await App.GivenAsync(Stated("russia", "ceasefire", Stance.Rejects, "2025-03-13T23:30:00Z"));

        (await Client.StanceAsync("russia", asOf: "2025-03-13")).On("ceasefire")!.Stance.ShouldBe("rejects");
        (await Client.StanceAsync("russia", asOf: "2025-03-13T23:00:00Z")).On("ceasefire").ShouldBeNull();
    }

    [Fact]
    public async Task a_claim_is_never_the_basis_but_is_shown_beside_it()
    {
        await GivenRussiaAndUkraineOnTheCeasefire();
        var claim = Claimed("ukraine", "russia", "ceasefire", Stance.Rejects, "2025-03-13", speaker: "Volodymyr Zelenskiy");
        await App.GivenAsync(claim);

        var russia = (await Client.StanceAsync("russia", asOf: "2025-03-13")).On("ceasefire")!;
        russia.Stance.ShouldBeNull();
        russia.StatementId.ShouldBeNull();
        var shown = russia.Claims.ShouldHaveSingleItem();
        shown.StatementId.ShouldBe(claim.StatementId.ToString());
        shown.ClaimedBy.ShouldBe(new ClaimedBy("ukraine", "Volodymyr Zelenskiy"));
        shown.Stance.ShouldBe("rejects");

        // Nor does the claim say anything about the claimant's own stance.
        (await Client.StanceAsync("ukraine", asOf: "2025-03-13")).Issues.ShouldBeEmpty();
    }

    [Fact]
    public async Task only_claims_not_older_than_the_basis_and_not_after_asOf_are_open()
    {
        await GivenRussiaAndUkraineOnTheCeasefire();
        var older = Claimed("ukraine", "russia", "ceasefire", Stance.Rejects, "2025-03-10");
        var sameDay = Claimed("ukraine", "russia", "ceasefire", Stance.Rejects, "2025-03-13");
        var later = Claimed("us", "russia", "ceasefire", Stance.Conditional, "2025-03-14");
        await App.GivenAsync(older, Stated("russia", "ceasefire", Stance.Conditional, "2025-03-13"), sameDay, later);

        var asOf13 = (await Client.StanceAsync("russia", asOf: "2025-03-13")).On("ceasefire")!;
        asOf13.Stance.ShouldBe("conditional");
        asOf13.Claims.Select(c => c.StatementId).ShouldBe([sameDay.StatementId.ToString()]);

        var asOf14 = (await Client.StanceAsync("russia", asOf: "2025-03-14")).On("ceasefire")!;
        asOf14.Claims.Select(c => c.StatementId)
            .ShouldBe([sameDay.StatementId.ToString(), later.StatementId.ToString()], ignoreOrder: true);

        var asOf12 = (await Client.StanceAsync("russia", asOf: "2025-03-12")).On("ceasefire")!;
        asOf12.Stance.ShouldBeNull();
        asOf12.Claims.Select(c => c.StatementId).ShouldBe([older.StatementId.ToString()]);
    }

    [Fact]
    public async Task a_withdrawal_clears_the_stance_and_an_issue_with_nothing_to_show_is_left_out()
    {
        await GivenRussiaAndUkraineOnTheCeasefire();
        await App.GivenAsync(
            Stated("russia", "ceasefire", Stance.Supports, "2025-03-11"),
            Stated("russia", "ceasefire", Stance.Withdraws, "2025-03-12"),
            Stated("russia", "kursk", Stance.Rejects, "2025-03-12"));

        var asOf12 = await Client.StanceAsync("russia", asOf: "2025-03-12");
        asOf12.On("ceasefire").ShouldBeNull();
        asOf12.On("kursk")!.Stance.ShouldBe("rejects");

        await App.GivenAsync(Claimed("ukraine", "russia", "ceasefire", Stance.Rejects, "2025-03-12"));
        var withClaim = (await Client.StanceAsync("russia", asOf: "2025-03-12")).On("ceasefire")!;
        withClaim.Stance.ShouldBeNull();
        withClaim.Claims.ShouldHaveSingleItem().Stance.ShouldBe("rejects");
    }

    [Fact]
    public async Task the_stances_of_every_party_come_in_one_answer()
    {
        await GivenRussiaAndUkraineOnTheCeasefire();
        await App.GivenAsync(
            Stated("us", "ceasefire", Stance.Proposes, "2025-03-11"),
            Stated("ukraine", "ceasefire", Stance.Accepts, "2025-03-11"));

        var all = await Client.GetFromJsonAsync<PositionLedger.Stances.AllStances>("/api/stances?asOf=2025-03-11");

        all!.Parties.Select(p => p.Party).ShouldBe(["russia", "ukraine", "us"]);
        all.Parties.Single(p => p.Party == "us").Issues.ShouldHaveSingleItem().Stance.ShouldBe("proposes");
        all.Parties.Single(p => p.Party == "ukraine").Issues.ShouldHaveSingleItem().Stance.ShouldBe("accepts");
        all.Parties.Single(p => p.Party == "russia").Issues.ShouldBeEmpty();
    }
}
