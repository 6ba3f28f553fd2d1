using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using PositionLedger.Tests.Infrastructure;

namespace PositionLedger.Tests.Sources;

/// <summary>
/// Sources are archived once; statements anchor in them; answers say how the ledger knows, and can ask for one kind only.
/// </summary>
public sealed class when_statements_carry_evidence(AppFixture app) : ApiTest(app)
{
    private const string Article =
        "Putin said: \"We are for it, but there are nuances.\" Later, Peskov said the Kremlin would study it.\n"
        + "Russia, the report said, rejects a ceasefire in Kursk. We are for it.";

    private async Task GivenTheArticleAsync()
    {
        await App.GivenPartiesAndIssuesAsync(["russia", "ukraine"], ["ceasefire", "kursk"]);
        var source = new JsonObject
        {
            ["id"] = "wire-1", ["title"] = "Ceasefire talks", ["outlet"] = "Wire", ["language"] = "en", ["text"] = Article,
            ["translation"] = new JsonObject { ["from"] = "pt", ["method"] = "machine" },
        };
        var created = await Client.PostJsonAsync("/api/sources", source.ToJsonString());
        created.StatusCode.ShouldBe(HttpStatusCode.Created);
    }

    private static string StatementWith(
        string stance, string statedAt, string evidence, string? quote = "\"We are for it, but there are nuances.\"") =>
        $$"""
        {"party":"russia","issue":"ceasefire","stance":"{{stance}}","speaker":"Vladimir Putin",{{(quote is null ? "" : $"\"quote\":{quote},")}}
         "statedAt":"{{statedAt}}","source":{"outlet":"Wire"},"evidence":{{evidence}}}
        """;

    [Fact]
    public async Task a_source_is_archived_once_with_its_hash_and_listed_without_its_text()
    {
        await GivenTheArticleAsync();

        var source = await (await Client.GetAsync("/api/sources/wire-1")).ReadAsync<JsonObject>();
        var list = await (await Client.GetAsync("/api/sources")).ReadAsync<JsonArray>();

        source["text"]!.GetValue<string>().ShouldBe(Article);
        source["sha256"]!.GetValue<string>().ShouldBe(Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Article))));
        source["translation"]!["method"]!.GetValue<string>().ShouldBe("machine");
        list.ShouldHaveSingleItem()!["text"].ShouldBeNull();
        await (await Client.PostJsonAsync("/api/sources", """{"id":"wire-1","title":"T","outlet":"O","language":"en","text":"x"}"""))
            .ShouldBeProblemAsync(HttpStatusCode.Conflict);
        await (await Client.GetAsync("/api/sources/nowhere")).ShouldBeProblemAsync(HttpStatusCode.NotFound);
    }

    [Theory]
    [InlineData("""{"id":"s","title":"T","outlet":"O","language":"english","text":"x"}""", "language")]
    [InlineData("""{"id":"s","title":"T","outlet":"O","language":"en","text":""}""", "text")]
    [InlineData("""{"id":"s","title":"T","outlet":"O","language":"en","text":"x","translation":{"from":"pt","method":"magic"}}""", "translation.method")]
    public async Task a_malformed_source_is_refused_naming_the_field(string body, string field)
    {
        await (await Client.PostJsonAsync("/api/sources", body)).ShouldNameFieldAsync(field);
    }

    [Fact]
    public async Task a_text_over_two_megabytes_is_refused()
    {
        var text = new string('a', 2 * 1024 * 1024 + 1);

        await (await Client.PostJsonAsync("/api/sources", $$"""{"id":"big","title":"T","outlet":"O","language":"en","text":"{{text}}"}"""))
            .ShouldNameFieldAsync("text");
    }

    [Fact]
    public async Task an_anchor_given_by_its_words_is_stored_complete_and_the_answer_says_its_kind()
    {
        await GivenTheArticleAsync();

        var created = await (await Client.PostJsonAsync("/api/statements", StatementWith("conditional", "2025-03-13",
            """{"kind":"direct-quote","anchors":[{"source":"wire-1","exact":"We are for it, but there are nuances."}]}""")))
            .ReadAsync<JsonObject>(HttpStatusCode.Created);
        var statement = await (await Client.GetAsync($"/api/statements/{created["id"]}")).ReadAsync<JsonObject>();

        var anchor = statement["evidence"]!["anchors"]![0]!;
        var start = Article.IndexOf("We are for it, but", StringComparison.Ordinal);
        anchor["start"]!.GetValue<int>().ShouldBe(start);
        anchor["end"]!.GetValue<int>().ShouldBe(start + "We are for it, but there are nuances.".Length);
        anchor["prefix"]!.GetValue<string>().ShouldBe(Article[..start]); // fewer than 32 code points stand before it
        anchor["suffix"]!.GetValue<string>().ShouldBe(Article[(start + 37)..(start + 37 + 32)]);
        statement["evidenceKind"]!.GetValue<string>().ShouldBe("direct-quote");
        (await Client.StanceAsync("russia", asOf: "2025-03-13")).On("ceasefire")!.EvidenceKind.ShouldBe("direct-quote");
    }

    [Theory]
    [InlineData("""{"kind":"paraphrase","anchors":[{"source":"wire-1","exact":"not in the article"}]}""", "evidence.anchors[0].exact", "not found")]
    [InlineData("""{"kind":"paraphrase","anchors":[{"source":"wire-1","exact":"We are for it"}]}""", "evidence.anchors[0].exact", "more than once")]
    [InlineData("""{"kind":"paraphrase","anchors":[{"source":"wire-2","exact":"We are for it"}]}""", "evidence.anchors[0].source", "No source")]
    [InlineData("""{"kind":"hearsay","anchors":[{"source":"wire-1","exact":"Kursk"}]}""", "evidence.kind", "must be one of")]
    [InlineData("""{"kind":"paraphrase","anchors":[]}""", "evidence.anchors", "at least one")]
    public async Task an_anchor_that_cannot_be_placed_is_refused_naming_it_and_nothing_is_appended(
        string evidence, string field, string words)
    {
        await GivenTheArticleAsync();
        var events = await App.EventCountAsync();

        var problem = await (await Client.PostJsonAsync("/api/statements", StatementWith("conditional", "2025-03-13", evidence)))
            .ShouldBeProblemAsync(HttpStatusCode.BadRequest);

        problem["errors"]![field]![0]!.GetValue<string>().ShouldContain(words);
        (await App.EventCountAsync()).ShouldBe(events);
    }

    [Fact]
    public async Task without_a_quote_the_quote_is_the_first_anchors_words_and_a_direct_quote_must_match_them()
    {
        await GivenTheArticleAsync();

        var created = await (await Client.PostJsonAsync("/api/statements", StatementWith("rejects", "2025-03-12",
            """{"kind":"inference","anchors":[{"source":"wire-1","exact":"rejects a ceasefire in Kursk"}]}""", quote: null)))
            .ReadAsync<JsonObject>(HttpStatusCode.Created);

        (await (await Client.GetAsync($"/api/statements/{created["id"]}")).ReadAsync<JsonObject>())["quote"]!.GetValue<string>()
            .ShouldBe("rejects a ceasefire in Kursk");
        await (await Client.PostJsonAsync("/api/statements", StatementWith("conditional", "2025-03-13",
            """{"kind":"direct-quote","anchors":[{"source":"wire-1","exact":"We are for it, but there are nuances."}]}""",
            quote: "\"We agree.\"")))
            .ShouldNameFieldAsync("quote");
    }

    [Fact]
    public async Task the_evidence_filter_removes_other_kinds_before_the_stance_rules_run()
    {
        await GivenTheArticleAsync();
        await Client.PostJsonAsync("/api/statements", StatementWith("conditional", "2025-03-11",
            """{"kind":"direct-quote","anchors":[{"source":"wire-1","exact":"We are for it, but there are nuances."}]}"""));
        await Client.PostJsonAsync("/api/statements", StatementWith("rejects", "2025-03-12",
            """{"kind":"inference","anchors":[{"source":"wire-1","exact":"rejects a ceasefire in Kursk"}]}""", quote: null));

        var all = (await Client.StanceAsync("russia", asOf: "2025-03-13")).On("ceasefire")!;
        var quotesOnly = await (await Client.GetAsync("/api/parties/russia/stance?asOf=2025-03-13&evidence=direct-quote"))
            .ReadAsync<JsonObject>();
        var unanchoredOnly = await (await Client.GetAsync("/api/stances?asOf=2025-03-13&evidence=unanchored")).ReadAsync<JsonObject>();
        var timeline = await (await Client.GetAsync("/api/timeline?evidence=inference")).ReadAsync<JsonObject>();

        all.Stance.ShouldBe("rejects");
        all.EvidenceKind.ShouldBe("inference");
        quotesOnly["issues"]![0]!["stance"]!.GetValue<string>().ShouldBe("conditional");
        quotesOnly["issues"]![0]!["evidenceKind"]!.GetValue<string>().ShouldBe("direct-quote");
        unanchoredOnly["parties"]!.AsArray().SelectMany(p => p!["issues"]!.AsArray()).ShouldBeEmpty();
        timeline["items"]!.AsArray().Select(i => i!["evidenceKind"]!.GetValue<string>()).ShouldBe(["inference"]);
        await (await Client.GetAsync("/api/stances?evidence=rumour")).ShouldNameFieldAsync("evidence");
    }

    [Fact]
    public async Task a_correction_may_change_the_evidence_and_it_is_checked_again()
    {
        await GivenTheArticleAsync();
        var created = await (await Client.PostJsonAsync("/api/statements", StatementWith("conditional", "2025-03-13",
            """{"kind":"paraphrase","anchors":[{"source":"wire-1","exact":"Peskov said the Kremlin would study it"}]}""")))
            .ReadAsync<JsonObject>(HttpStatusCode.Created);
        var corrections = $"/api/statements/{created["id"]}/corrections";

        await (await Client.PostJsonAsync(corrections,
            """{"expectedVersion":1,"reason":"Wrong span","evidence":{"kind":"paraphrase","anchors":[{"source":"wire-1","exact":"nowhere"}]}}"""))
            .ShouldNameFieldAsync("evidence.anchors[0].exact");
        (await Client.PostJsonAsync(corrections,
            """{"expectedVersion":1,"reason":"Own words","quote":"We are for it, but there are nuances.","evidence":{"kind":"direct-quote","anchors":[{"source":"wire-1","exact":"We are for it, but there are nuances."}]}}"""))
            .StatusCode.ShouldBe(HttpStatusCode.OK);

        var statement = await (await Client.GetAsync($"/api/statements/{created["id"]}")).ReadAsync<JsonObject>();
        statement["evidenceKind"]!.GetValue<string>().ShouldBe("direct-quote");
        statement["revisions"]![1]!["changedFields"]!.AsArray().Select(f => f!.GetValue<string>()).ShouldContain("evidence");
    }

    [Fact]
    public async Task an_imported_line_is_anchored_as_a_single_append_is()
    {
        await GivenTheArticleAsync();
        var good = StatementWith("conditional", "2025-03-13",
            """{"kind":"direct-quote","anchors":[{"source":"wire-1","exact":"We are for it, but there are nuances."}]}""")
            .ReplaceLineEndings(" ");
        var bad = StatementWith("conditional", "2025-03-13",
            """{"kind":"direct-quote","anchors":[{"source":"wire-1","exact":"not there"}]}""", quote: null).ReplaceLineEndings(" ");
        using var refused = new StringContent($"{good}\n{bad}", Encoding.UTF8, "application/x-ndjson");
        using var accepted = new StringContent(good, Encoding.UTF8, "application/x-ndjson");

        await (await Client.PostAsync("/api/imports", refused)).ShouldNameFieldAsync("line 2.evidence.anchors[0].exact");
        (await Client.PostAsync("/api/imports", accepted)).StatusCode.ShouldBe(HttpStatusCode.OK);

        (await Client.StanceAsync("russia", asOf: "2025-03-13")).On("ceasefire")!.EvidenceKind.ShouldBe("direct-quote");
    }

    [Fact]
    public async Task a_sources_annotations_list_every_anchor_in_it_and_open_in_annotation_tools_as_json_ld()
    {
        await GivenTheArticleAsync();
        var created = await (await Client.PostJsonAsync("/api/statements", StatementWith("conditional", "2025-03-13",
            """{"kind":"direct-quote","anchors":[{"source":"wire-1","exact":"We are for it, but there are nuances."}]}""")))
            .ReadAsync<JsonObject>(HttpStatusCode.Created);

        var annotations = await (await Client.GetAsync("/api/sources/wire-1/annotations")).ReadAsync<JsonObject>();
        var response = await Client.GetAsync("/api/sources/wire-1/annotations.jsonld");
        var jsonLd = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;

        var only = annotations["annotations"]!.AsArray().ShouldHaveSingleItem()!;
        only["statementId"]!.GetValue<string>().ShouldBe(created["id"]!.GetValue<string>());
        only["kind"]!.GetValue<string>().ShouldBe("direct-quote");
        response.Content.Headers.ContentType!.MediaType.ShouldBe("application/ld+json");
        jsonLd["@context"]!.GetValue<string>().ShouldBe("http://www.w3.org/ns/anno.jsonld");
        jsonLd["type"]!.GetValue<string>().ShouldBe("AnnotationCollection");
        jsonLd["total"]!.GetValue<int>().ShouldBe(1);
        var annotation = jsonLd["first"]!["items"]![0]!;
        annotation["type"]!.GetValue<string>().ShouldBe("Annotation");
        annotation["body"]!.GetValue<string>().ShouldEndWith($"/api/statements/{created["id"]}");
        annotation["target"]!["source"]!.GetValue<string>().ShouldEndWith("/api/sources/wire-1");
        var selectors = annotation["target"]!["selector"]!.AsArray();
        selectors.Select(x => x!["type"]!.GetValue<string>()).ShouldBe(["TextQuoteSelector", "TextPositionSelector"]);
        selectors[0]!["exact"]!.GetValue<string>().ShouldBe("We are for it, but there are nuances.");
        selectors[1]!["end"]!.GetValue<int>().ShouldBeGreaterThan(selectors[1]!["start"]!.GetValue<int>());
        await (await Client.GetAsync("/api/sources/nowhere/annotations.jsonld")).ShouldBeProblemAsync(HttpStatusCode.NotFound);
    }
}
