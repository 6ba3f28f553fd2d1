using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using PositionLedger.Statements;
using PositionLedger.Tests.Infrastructure;

namespace PositionLedger.Tests.Statements;

public sealed class when_stating_a_position(AppFixture app) : ApiTest(app)
{
    private const string Valid = """
        {"party":"russia","issue":"ceasefire","stance":"conditional","speaker":"Vladimir Putin",
         "quote":"We agree with the proposals to stop hostilities","statedAt":"2025-03-13",
         "source":{"outlet":"Wire","url":"https://example.org/a","publishedAt":"2025-03-13T20:00:00Z"},
         "conditions":["verification"]}
        """;

    private Task GivenPartiesAndIssues() => App.GivenPartiesAndIssuesAsync(["russia", "ukraine"], ["ceasefire"]);

    [Fact]
    public async Task it_is_appended_as_a_new_stream_and_shown_with_its_first_revision()
    {
        await GivenPartiesAndIssues();

        var response = await Client.PostJsonAsync("/api/statements", Valid);

        var created = await response.ReadAsync<StatementAppended>(HttpStatusCode.Created);
        created.Version.ShouldBe(1);
        response.Headers.Location!.ToString().ShouldBe($"/api/statements/{created.Id}");

        var statement = await Client.GetFromJsonAsync<StatementView>(response.Headers.Location);
        statement!.Id.ShouldBe(created.Id);
        statement.Party.ShouldBe("russia");
        statement.Stance.ShouldBe("conditional");
        statement.StatedAt.ShouldBe("2025-03-13");
        statement.Source.ShouldBe(new SourceView("Wire", "https://example.org/a", "2025-03-13T20:00:00Z"));
        statement.Conditions.ShouldBe(["verification"]);
        statement.Version.ShouldBe(1);
        statement.Retracted.ShouldBeFalse();
        var revision = statement.Revisions.ShouldHaveSingleItem();
        revision.Kind.ShouldBe("stated");
        revision.Version.ShouldBe(1);
        revision.RecordedAt.ShouldBeInRange(DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddMinutes(1));

        (await Client.StanceAsync("russia", asOf: "2025-03-13")).On("ceasefire")!.StatementId.ShouldBe(created.Id);
    }

    [Fact]
    public async Task a_claim_about_another_party_is_stored_with_its_claimant()
    {
        await GivenPartiesAndIssues();
        var claim = JsonNode.Parse(Valid)!.AsObject();
        claim["stance"] = "rejects";
        claim["claimedBy"] = new JsonObject { ["party"] = "ukraine", ["speaker"] = "Volodymyr Zelenskiy" };

        var created = await (await Client.PostJsonAsync("/api/statements", claim.ToJsonString()))
            .ReadAsync<StatementAppended>(HttpStatusCode.Created);

        var statement = await Client.GetFromJsonAsync<StatementView>($"/api/statements/{created.Id}");
        statement!.ClaimedBy.ShouldBe(new ClaimedBy("ukraine", "Volodymyr Zelenskiy"));
    }

    [Fact]
    public async Task a_party_refused_as_unregistered_is_accepted_once_it_is_registered()
    {
        await App.GivenPartiesAndIssuesAsync(["ukraine"], ["ceasefire"]);
        await (await Client.PostJsonAsync("/api/statements", Valid)).ShouldNameFieldAsync("party");

        await App.GivenPartiesAndIssuesAsync(["russia"], []);

        await (await Client.PostJsonAsync("/api/statements", Valid)).ReadAsync<StatementAppended>(HttpStatusCode.Created);
    }

    [Fact]
    public async Task an_unknown_statement_is_not_found()
    {
        await (await Client.GetAsync($"/api/statements/{Guid.NewGuid()}")).ShouldBeProblemAsync(HttpStatusCode.NotFound);
        await (await Client.GetAsync("/api/statements/not-a-guid")).ShouldBeProblemAsync(HttpStatusCode.NotFound);
    }

    public static TheoryData<string, string, string?> BadStatements() => new()
    {
        { "unknown party", "party", "atlantis" },
        { "unknown issue", "issue", "world-peace" },
        { "unknown stance", "stance", "maybe" },
        { "missing quote", "quote", null },
        { "empty quote", "quote", "" },
        { "missing speaker", "speaker", null },
        { "future statedAt", "statedAt", "2999-01-01" },
        { "malformed statedAt", "statedAt", "13 March 2025" },
        { "instant without offset", "statedAt", "2025-03-13T10:00:00" },
        { "impossible date", "statedAt", "2025-02-30" },
        { "party not a slug", "party", "Russia Federation" },
        { "control character in quote", "quote", "bell\u0007" },
        { "overlong speaker", "speaker", new string('x', 201) },
    };

    [Theory]
    [MemberData(nameof(BadStatements))]
    public async Task a_bad_field_is_refused_naming_it_and_nothing_is_appended(string because, string field, string? value)
    {
        await GivenPartiesAndIssues();
        var events = await App.EventCountAsync();
        var body = JsonNode.Parse(Valid)!.AsObject();
        if (value is null) body.Remove(field); else body[field] = value;

        var response = await Client.PostJsonAsync("/api/statements", body.ToJsonString());

        await response.ShouldNameFieldAsync(field);
        (await App.EventCountAsync()).ShouldBe(events, because);
    }

    [Theory]
    [InlineData("""{"party":"russia",""", "body")]
    [InlineData("""{"party":"russia","mood":"grim"}""", "mood")]
    [InlineData("""{"party":42}""", "party")]
    [InlineData("""{"source":{"outlet":"Wire","url":"ftp://x"}}""", "source.url")]
    [InlineData("""{"claimedBy":{"party":"russia","speaker":"Putin"}}""", "claimedBy.party")]
    [InlineData("""{"claimedBy":{"party":"atlantis","speaker":"Someone"}}""", "claimedBy.party")]
    public async Task a_malformed_body_is_refused_naming_the_field(string json, string field)
    {
        await GivenPartiesAndIssues();
        var events = await App.EventCountAsync();
        var body = JsonNode.Parse(Valid)!.AsObject();
        string payload;
        try
        {
            foreach (var (key, value) in JsonNode.Parse(json)!.AsObject()) body[key] = value?.DeepClone();
            payload = body.ToJsonString();
        }
        catch (System.Text.Json.JsonException)
        {
            payload = json; // not even JSON: send it as it is
        }

        await (await Client.PostJsonAsync("/api/statements", payload)).ShouldNameFieldAsync(field);
        (await App.EventCountAsync()).ShouldBe(events);
    }
}
