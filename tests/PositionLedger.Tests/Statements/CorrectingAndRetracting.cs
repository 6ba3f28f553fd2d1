using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using PositionLedger.Statements;
using PositionLedger.Tests.Infrastructure;
using static PositionLedger.Tests.Infrastructure.Scenario;

namespace PositionLedger.Tests.Statements;

public sealed class when_correcting_or_retracting_a_statement(AppFixture app) : ApiTest(app)
{
    private readonly PositionStated _putin = Stated("russia", "ceasefire", Stance.Conditional, "2025-03-13", speaker: "Vladimir Putin");

    private async Task GivenPutinsStatement()
    {
        await App.GivenPartiesAndIssuesAsync(["russia", "ukraine"], ["ceasefire", "kursk"]);
        await App.GivenAsync(_putin);
    }

    private string Url => $"/api/statements/{_putin.StatementId}";

    private async Task<StatementView> Statement() => (await Client.GetFromJsonAsync<StatementView>(Url))!;

    private static string Instant(DateTimeOffset t) =>
        t.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture);

    [Fact]
    public async Task a_correction_changes_the_answer_from_then_on_but_not_what_the_ledger_knew_before()
    {
        await GivenPutinsStatement();
        var stated = (await Statement()).Revisions.Single().RecordedAt;

        var response = await Client.PostAsJsonAsync($"{Url}/corrections",
            new { expectedVersion = 1, reason = "Misread the transcript", stance = "rejects" });

        (await response.ReadAsync<StatementAppended>()).ShouldBe(new StatementAppended(_putin.StatementId.ToString(), 2));
        (await Client.StanceAsync("russia", asOf: "2025-03-13")).On("ceasefire")!.Stance.ShouldBe("rejects");
        (await Client.StanceAsync("russia", asOf: "2025-03-13", knownAt: Instant(stated))).On("ceasefire")!.Stance.ShouldBe("conditional");

        var statement = await Statement();
        statement.Version.ShouldBe(2);
        statement.Stance.ShouldBe("rejects");
        statement.Revisions.Select(r => r.Kind).ShouldBe(["stated", "corrected"]);
        statement.Revisions[1].Reason.ShouldBe("Misread the transcript");
        statement.Revisions[1].ChangedFields.ShouldBe(["stance"]);
        statement.Revisions[1].RecordedAt.ShouldBeGreaterThanOrEqualTo(stated);
    }

    [Fact]
    public async Task a_correction_can_move_the_statement_to_another_issue_and_date()
    {
        await GivenPutinsStatement();

        (await Client.PostAsJsonAsync($"{Url}/corrections",
            new { expectedVersion = 1, reason = "It was about Kursk", issue = "kursk", statedAt = "2025-03-12" }))
            .StatusCode.ShouldBe(HttpStatusCode.OK);

        var asOf12 = await Client.StanceAsync("russia", asOf: "2025-03-12");
        asOf12.On("ceasefire").ShouldBeNull();
        asOf12.On("kursk")!.StatementId.ShouldBe(_putin.StatementId.ToString());
        (await Statement()).Revisions[1].ChangedFields.ShouldBe(["issue", "statedAt"]);
    }

    [Fact]
    public async Task a_claim_can_be_corrected_into_the_partys_own_statement()
    {
        await App.GivenPartiesAndIssuesAsync(["russia", "ukraine"], ["ceasefire"]);
        var claim = Claimed("ukraine", "russia", "ceasefire", Stance.Rejects, "2025-03-13");
        await App.GivenAsync(claim);

        (await Client.PostJsonAsync($"/api/statements/{claim.StatementId}/corrections",
            """{"expectedVersion":1,"reason":"Kremlin said it itself","claimedBy":null}"""))
            .StatusCode.ShouldBe(HttpStatusCode.OK);

        var russia = (await Client.StanceAsync("russia", asOf: "2025-03-13")).On("ceasefire")!;
        russia.Stance.ShouldBe("rejects");
        russia.Claims.ShouldBeEmpty();
    }

    [Fact]
    public async Task a_stale_expected_version_is_a_conflict_and_appends_nothing()
    {
        await GivenPutinsStatement();
        (await Client.PostAsJsonAsync($"{Url}/corrections", new { expectedVersion = 1, reason = "First", stance = "rejects" }))
            .EnsureSuccessStatusCode();
        var events = await App.EventCountAsync();

        await (await Client.PostAsJsonAsync($"{Url}/corrections", new { expectedVersion = 1, reason = "Second", stance = "supports" }))
            .ShouldBeProblemAsync(HttpStatusCode.Conflict);
        await (await Client.PostAsJsonAsync($"{Url}/retraction", new { expectedVersion = 1, reason = "Late" }))
            .ShouldBeProblemAsync(HttpStatusCode.Conflict);

        (await App.EventCountAsync()).ShouldBe(events);
    }

    [Fact]
    public async Task concurrent_corrections_at_one_version_let_exactly_one_through()
    {
        await GivenPutinsStatement();

        var responses = await Task.WhenAll(Enumerable.Range(0, 8).Select(i =>
            Client.PostAsJsonAsync($"{Url}/corrections", new { expectedVersion = 1, reason = $"Editor {i}", quote = $"Version {i}" })));

        responses.Count(r => r.StatusCode == HttpStatusCode.OK).ShouldBe(1);
        responses.Count(r => r.StatusCode == HttpStatusCode.Conflict).ShouldBe(7);
        (await Statement()).Version.ShouldBe(2);
    }

    [Fact]
    public async Task a_retraction_removes_the_statement_from_then_on_but_not_from_what_was_known_before()
    {
        await GivenPutinsStatement();
        var stated = (await Statement()).Revisions.Single().RecordedAt;

        var response = await Client.PostAsJsonAsync($"{Url}/retraction", new { expectedVersion = 1, reason = "Wrong speaker" });

        (await response.ReadAsync<StatementAppended>()).Version.ShouldBe(2);
        (await Client.StanceAsync("russia", asOf: "2025-03-13")).On("ceasefire").ShouldBeNull();
        (await Client.StanceAsync("russia", asOf: "2025-03-13", knownAt: Instant(stated))).On("ceasefire")!.Stance.ShouldBe("conditional");
        var statement = await Statement();
        statement.Retracted.ShouldBeTrue();
        statement.Revisions.Select(r => r.Kind).ShouldBe(["stated", "retracted"]);

        await (await Client.PostAsJsonAsync($"{Url}/corrections", new { expectedVersion = 2, reason = "Too late", stance = "rejects" }))
            .ShouldBeProblemAsync(HttpStatusCode.Conflict);
    }

    [Theory]
    [InlineData("""{"reason":"x","stance":"rejects"}""", "expectedVersion")]
    [InlineData("""{"expectedVersion":1,"stance":"rejects"}""", "reason")]
    [InlineData("""{"expectedVersion":1,"reason":"x","stance":"perhaps"}""", "stance")]
    [InlineData("""{"expectedVersion":1,"reason":"x","party":"atlantis"}""", "party")]
    [InlineData("""{"expectedVersion":1,"reason":"x","statedAt":"2999-01-01"}""", "statedAt")]
    [InlineData("""{"expectedVersion":1,"reason":"x","claimedBy":{"party":"russia","speaker":"Putin"}}""", "claimedBy.party")]
    [InlineData("""{"expectedVersion":1,"reason":"x","stance":"conditional"}""", "body")]
    [InlineData("""{"expectedVersion":1,"reason":"x","mood":"grim"}""", "mood")]
    public async Task a_bad_correction_is_refused_naming_the_field(string body, string field)
    {
        await GivenPutinsStatement();
        var events = await App.EventCountAsync();

        await (await Client.PostJsonAsync($"{Url}/corrections", body)).ShouldNameFieldAsync(field);

        (await App.EventCountAsync()).ShouldBe(events);
    }

    [Fact]
    public async Task correcting_or_retracting_an_unknown_statement_is_not_found()
    {
        await (await Client.PostAsJsonAsync($"/api/statements/{Guid.NewGuid()}/corrections",
                new { expectedVersion = 1, reason = "x", stance = "rejects" }))
            .ShouldBeProblemAsync(HttpStatusCode.NotFound);
        await (await Client.PostAsJsonAsync($"/api/statements/{Guid.NewGuid()}/retraction", new { expectedVersion = 1, reason = "x" }))
            .ShouldBeProblemAsync(HttpStatusCode.NotFound);
    }
}
