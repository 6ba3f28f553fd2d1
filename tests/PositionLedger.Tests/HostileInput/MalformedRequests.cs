using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using PositionLedger.Statements;
using PositionLedger.Tests.Infrastructure;
using static PositionLedger.Tests.Infrastructure.Scenario;

namespace PositionLedger.Tests.HostileInput;

/// <summary>Malformed writes, one per row: each gets the right 4xx naming the field, and nothing is appended.</summary>
public sealed class when_a_write_is_malformed(AppFixture app) : ApiTest(app)
{
    private static readonly Guid Existing = Guid.Parse("11111111-2222-4333-8444-555555555555");
    private static readonly string Corrections = $"/api/statements/{Existing}/corrections";
    private static readonly string Retraction = $"/api/statements/{Existing}/retraction";

    private const string Party = """{"id":"belarus","name":"Belarus","aliases":["Minsk"]}""";
    private const string Issue = """{"id":"kursk","title":"Kursk","description":"Kursk region"}""";
    private const string Statement = """
        {"party":"russia","issue":"ceasefire","stance":"conditional","speaker":"Vladimir Putin","quote":"We agree",
         "statedAt":"2025-03-13","source":{"outlet":"Wire","url":"https://example.org/a","publishedAt":"2025-03-13"},
         "conditions":["verification"]}
        """;
    private const string Correction = """{"expectedVersion":1,"reason":"Typo","quote":"We agree."}""";
    private const string Retract = """{"expectedVersion":1,"reason":"Duplicate"}""";

    /// <param name="Expected">The message the field gets, where its words matter.</param>
    public sealed record Case(
        string Url, string Body, int Status, string Field, string ContentType = "application/json", string? IdempotencyKey = null,
        string? Expected = null)
    {
        public override string ToString() => $"{Url} -> {Status} {Field}";
    }

    private static string With(string json, string path, JsonNode? value)
    {
        var root = JsonNode.Parse(json)!.AsObject();
        var parts = path.Split('.');
        var target = root;
        foreach (var part in parts[..^1]) target = target[part]!.AsObject();
        target[parts[^1]] = value;
        return root.ToJsonString();
    }

    private static string Without(string json, string path)
    {
        var root = JsonNode.Parse(json)!.AsObject();
        var parts = path.Split('.');
        var target = root;
        foreach (var part in parts[..^1]) target = target[part]!.AsObject();
        target.Remove(parts[^1]);
        return root.ToJsonString();
    }

    private static JsonArray Many(int count, string item) => new([.. Enumerable.Range(0, count).Select(_ => (JsonNode?)item)]);

    public static TheoryData<Case> Cases() =>
    [
        // Parties
        new("/api/parties", Without(Party, "id"), 400, "id"),
        new("/api/parties", With(Party, "id", "Not A Slug"), 400, "id"),
        new("/api/parties", With(Party, "id", new string('a', 65)), 400, "id"),
        new("/api/parties", With(Party, "id", 5), 400, "id"),
        new("/api/parties", Without(Party, "name"), 400, "name"),
        new("/api/parties", With(Party, "name", "Bel\u0000arus"), 400, "name"),
        new("/api/parties", With(Party, "name", new string('n', 201)), 400, "name"),
        new("/api/parties", With(Party, "aliases", Many(21, "x")), 400, "aliases"),
        new("/api/parties", With(Party, "aliases", Many(1, "")), 400, "aliases[0]"),
        new("/api/parties", With(Party, "colour", "red"), 400, "colour"),
        new("/api/parties", """{"id":"belarus",""", 400, "body"),
        new("/api/parties", Party, 415, "Content-Type", ContentType: "text/plain"),
        new("/api/parties", Party, 415, "Content-Type", ContentType: ""),
        new("/api/parties", "null", 400, "body"),
        new("/api/parties", With(Party, "name", "\u202EsuraleB"), 400, "name"),
        new("/api/parties", With(Party, "aliases", Many(1, "Min\u2066sk")), 400, "aliases[0]"),
        new("/api/parties", """{"id":"belarus","name":"Belarus","id":"ukraine"}""", 400, "id"),
        new("/api/parties", """{"Id":"belarus","name":"Belarus"}""", 400, "Id"),
        // Issues
        new("/api/issues", Without(Issue, "id"), 400, "id"),
        new("/api/issues", Without(Issue, "title"), 400, "title"),
        new("/api/issues", With(Issue, "description", new string('d', 4001)), 400, "description"),
        new("/api/issues", With(Issue, "description", "line\u001bescape"), 400, "description"),
        new("/api/issues", With(Issue, "title", "Kursk\u202D"), 400, "title"),
        new("/api/issues", "null", 400, "body"),
        // Statements
        new("/api/statements", With(Statement, "party", "atlantis"), 400, "party"),
        new("/api/statements", With(Statement, "issue", "world-peace"), 400, "issue"),
        new("/api/statements", With(Statement, "stance", "maybe"), 400, "stance"),
        new("/api/statements", Without(Statement, "stance"), 400, "stance"),
        new("/api/statements", Without(Statement, "speaker"), 400, "speaker"),
        new("/api/statements", Without(Statement, "quote"), 400, "quote"),
        new("/api/statements", With(Statement, "quote", new string('q', 4001)), 400, "quote"),
        new("/api/statements", With(Statement, "quote", "bell\u0007"), 400, "quote"),
        new("/api/statements", With(Statement, "statedAt", "2999-01-01"), 400, "statedAt"),
        new("/api/statements", With(Statement, "statedAt", "13 March 2025"), 400, "statedAt"),
        new("/api/statements", Without(Statement, "statedAt"), 400, "statedAt"),
        new("/api/statements", With(Statement, "statedAt", "2025-03-13T10:00:00"), 400, "statedAt"),
        new("/api/statements", Without(Statement, "source"), 400, "source"),
        new("/api/statements", Without(Statement, "source.outlet"), 400, "source.outlet"),
        new("/api/statements", With(Statement, "source.url", "ftp://example.org/a"), 400, "source.url"),
        new("/api/statements", With(Statement, "source.url", "/relative/path"), 400, "source.url"),
        new("/api/statements", With(Statement, "source.url", "https://example.org/a\u0000b"), 400, "source.url"),
        new("/api/statements", With(Statement, "source.url", "https://example.org/\u202Eexe.txt"), 400, "source.url"),
        new("/api/statements", With(Statement, "source.outlet", "Wire\u2067"), 400, "source.outlet"),
        new("/api/statements", With(Statement, "speaker", "Vladimir \u202EPutin"), 400, "speaker"),
        new("/api/statements", With(Statement, "conditions", Many(1, "verification\u202C")), 400, "conditions[0]"),
        new("/api/statements", """{"quote":"half a pair \ud800"}""", 400, "quote"),
        new("/api/statements", With(Statement, "statedAt", "1799-12-31"), 400, "statedAt"),
        new("/api/statements", With(Statement, "statedAt", "0001-01-01T00:00:00Z"), 400, "statedAt"),
        new("/api/statements", With(Statement, "source.publishedAt", "0001-01-01"), 400, "source.publishedAt"),
        new("/api/statements", "null", 400, "body"),
        new("/api/statements", Statement, 415, "Content-Type", ContentType: ""),
        new("/api/statements", With(Statement, "source.publishedAt", "yesterday"), 400, "source.publishedAt"),
        new("/api/statements", With(Statement, "source.publishedAt", "2999-01-01"), 400, "source.publishedAt"),
        new("/api/statements", With(Statement, "conditions", Many(21, "c")), 400, "conditions"),
        new("/api/statements", With(Statement, "conditions", Many(1, "")), 400, "conditions[0]"),
        new("/api/statements", With(Statement, "claimedBy", new JsonObject { ["party"] = "russia", ["speaker"] = "Putin" }),
            400, "claimedBy.party"),
        new("/api/statements", With(Statement, "claimedBy", new JsonObject { ["party"] = "atlantis", ["speaker"] = "Someone" }),
            400, "claimedBy.party"),
        new("/api/statements", With(Statement, "claimedBy", new JsonObject { ["party"] = "ukraine" }), 400, "claimedBy.speaker"),
        new("/api/statements", With(Statement, "mood", "grim"), 400, "mood"),
        new("/api/statements", With(Statement, "source", new JsonObject { ["outlet"] = "Wire", ["mood"] = "grim" }), 400, "mood"),
        new("/api/statements", With(Statement, "source.rating", 5), 400, "rating"),
        new("/api/statements", With(Statement, "quote", new string('q', 2 * 1024 * 1024)), 413, "body"),
        new("/api/statements", "", 400, "body"),
        new("/api/statements", "[]", 400, "body"),
        new("/api/statements", Statement, 400, "Idempotency-Key", IdempotencyKey: new string('k', 201)),
        // Corrections
        new(Corrections, Without(Correction, "expectedVersion"), 400, "expectedVersion"),
        new(Corrections, With(Correction, "expectedVersion", 0), 400, "expectedVersion"),
        new(Corrections, Without(Correction, "reason"), 400, "reason"),
        new(Corrections, With(Correction, "stance", "perhaps"), 400, "stance"),
        new(Corrections, With(Correction, "claimedBy", "ukraine"), 400, "claimedBy"),
        new(Corrections, With(Correction, "quote", "We agree"), 400, "body"),
        new(Corrections, "null", 400, "body"),
        new(Corrections, With(Correction, "expectedVersion", "1"), 400, "expectedVersion"),
        new(Corrections, With(Correction, "source", new JsonObject { ["outlet"] = "Wire", ["url"] = "https://example.org/\u0000" }),
            400, "source.url"),
        new(Corrections, With(Correction, "claimedBy", new JsonObject { ["party"] = 5, ["speaker"] = "Zelenskiy" }),
            400, "claimedBy.party"),
        new(Corrections, With(Correction, "claimedBy", new JsonObject { ["party"] = "ukraine", ["speaker"] = new JsonArray() }),
            400, "claimedBy.speaker"),
        new(Corrections, With(Correction, "claimedBy", new JsonObject { ["Party"] = "ukraine", ["speaker"] = "Zelenskiy" }),
            400, "claimedBy.Party"),
        new(Corrections, With(Correction, "claimedBy", new JsonObject { ["party"] = "ukraine", ["speaker"] = "Z", ["mood"] = "x" }),
            400, "claimedBy.mood"),
        new(Corrections, """{"expectedVersion":1,"reason":"Typo","quote":"A","quote":"B"}""", 400, "quote"),
        // Retractions
        new(Retraction, Without(Retract, "reason"), 400, "reason"),
        new(Retraction, Without(Retract, "expectedVersion"), 400, "expectedVersion"),
        new(Retraction, "null", 400, "body"),
        new(Retraction, With(Retract, "expectedVersion", 1.5), 400, "expectedVersion"),
        // Imports: the same rules, each failure named by its line
        new("/api/imports", Statement.ReplaceLineEndings("") is var line ? With(line, "source.url", "https://example.org/\u0000") : "", 400,
            "line 1.source.url", ContentType: "application/x-ndjson"),
        new("/api/imports", With(Statement.ReplaceLineEndings(""), "speaker", "Putin\u202E"),
            400, "line 1.speaker", ContentType: "application/x-ndjson"),
        new("/api/imports", With(Statement.ReplaceLineEndings(""), "statedAt", "0001-01-01"), 400, "line 1.statedAt",
            ContentType: "application/x-ndjson"),
        // A JSON array is read element by element, each as an NDJSON line
        new("/api/imports", $"[{Statement}, {With(Statement, "conditions", new JsonArray("surrogate")).Replace("surrogate", "\\ud800")}]",
            400, "line 2.conditions[0]"),
        new("/api/imports", $"[{Statement}, {Statement[..Statement.LastIndexOf('}')]}, \"stance\":\"accepts\"}}]", 400, "line 2.stance"),
        new("/api/imports", $"[{Statement}, {{\"party\" \"russia\"}}]", 400, "line 2"),
        new("/api/imports", $"[{With(Statement, "source", new JsonObject { ["outlet"] = "Wire", ["mood"] = "grim" })}]", 400,
            "line 1.source.mood"),
        // A value of the wrong kind is named with the kind the field takes
        new("/api/parties", With(Party, "id", 5), 400, "id", Expected: "'id' must be a string."),
        new("/api/statements", With(Statement, "source", "Wire"), 400, "source", Expected: "'source' must be an object."),
        new("/api/statements", With(Statement, "conditions", "x"), 400, "conditions", Expected: "'conditions' must be a list of strings."),
        new("/api/statements", With(Statement, "conditions", new JsonArray(1)),
            400, "conditions[0]", Expected: "'conditions[0]' must be a string."),
        new(Retraction, With(Retract, "expectedVersion", "1"),
            400, "expectedVersion", Expected: "'expectedVersion' must be a whole number."),
        new("/api/imports", With(Statement.ReplaceLineEndings(""), "quote", true), 400, "line 1.quote", ContentType: "application/x-ndjson",
            Expected: "'quote' must be a string."),
        // A slug ends where the text ends: no newline after it
        new("/api/parties", With(Party, "id", "belarus\n"), 400, "id"),
        new("/api/statements", With(Statement, "statedAt", "2025-03-13\n"), 400, "statedAt"),
    ];

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task it_is_refused_naming_the_field_and_nothing_is_appended(Case @case)
    {
        await App.GivenPartiesAndIssuesAsync(["russia", "ukraine"], ["ceasefire"]);
        await App.GivenAsync(Stated(Existing, "russia", "ceasefire", Stance.Conditional, "2025-03-13", quote: "We agree"));
        var events = await App.EventCountAsync();

        var request = new HttpRequestMessage(HttpMethod.Post, @case.Url)
        {
            Content = new StringContent(@case.Body, Encoding.UTF8, @case.ContentType.Length > 0 ? @case.ContentType : "application/json"),
        };
        if (@case.ContentType.Length == 0) request.Content.Headers.ContentType = null;
        if (@case.IdempotencyKey is not null) request.Headers.TryAddWithoutValidation("Idempotency-Key", @case.IdempotencyKey);
        // As a client uploading a large body should: the server can refuse it (413, by its length) before the
        // body is sent, instead of closing the connection on a body still being written (a broken pipe).
        request.Headers.ExpectContinue = true;
        var response = await Client.SendAsync(request);

        var problem = await response.ShouldBeProblemAsync((HttpStatusCode)@case.Status);
        problem["errors"]?.AsObject().Select(e => e.Key).ShouldContain(@case.Field, problem.ToJsonString());
        // Plain words for the client: no .NET type names, and a type that links to the status's definition.
        problem.ToJsonString().ShouldNotContain("System.");
        problem.ToJsonString().ShouldNotContain("PositionLedger.");
        problem["type"]!.GetValue<string>().ShouldStartWith("https://www.rfc-editor.org/rfc/");
        if (@case.Expected is { } expected) problem["errors"]![@case.Field]![0]!.GetValue<string>().ShouldBe(expected);
        (await App.EventCountAsync()).ShouldBe(events);
    }

    [Fact]
    public async Task an_import_line_that_is_not_utf8_is_refused_naming_its_line_as_a_single_append_would_be()
    {
        await App.GivenPartiesAndIssuesAsync(["russia", "ukraine"], ["ceasefire"]);
        var events = await App.EventCountAsync();
        var valid = Encoding.UTF8.GetBytes(Statement.ReplaceLineEndings("") + "\n");
        var broken = Encoding.UTF8.GetBytes(With(Statement.ReplaceLineEndings(""), "quote", "We agree XX"));
        var at = Array.IndexOf(broken, (byte)'X');
        broken[at] = 0xC3;
        broken[at + 1] = 0x28; // a lead byte followed by one that cannot continue it
        using var body = new ByteArrayContent([.. valid, .. valid, .. broken]);
        body.Headers.ContentType = new("application/x-ndjson");

        var response = await Client.PostAsync("/api/imports", body);

        await response.ShouldNameFieldAsync("line 3");
        (await App.EventCountAsync()).ShouldBe(events);
        using var single = new ByteArrayContent(broken);
        single.Headers.ContentType = new("application/json");
        await (await Client.PostAsync("/api/statements", single)).ShouldBeProblemAsync(HttpStatusCode.BadRequest);
        (await App.EventCountAsync()).ShouldBe(events);
    }

    [Fact]
    public void there_are_at_least_40_cases() => ((IEnumerable<object[]>)Cases()).Count().ShouldBeGreaterThanOrEqualTo(40);
}
