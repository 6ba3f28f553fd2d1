using System.Net;
using System.Net.Http.Json;
using System.Text;
using PositionLedger.Statements;
using PositionLedger.Tests.Infrastructure;
using PositionLedger.Imports;

namespace PositionLedger.Tests.Imports;

public sealed class when_importing_an_archive(AppFixture app) : ApiTest(app)
{
    private static string Line(string party, string stance, string statedAt, string? id = null)
    {
        var idPart = id is null ? "" : $"\"id\":\"{id}\",";
        return "{" + idPart + $"\"party\":\"{party}\",\"issue\":\"ceasefire\",\"stance\":\"{stance}\",\"speaker\":\"S\"," +
            $"\"quote\":\"Q\",\"statedAt\":\"{statedAt}\",\"source\":{{\"outlet\":\"Archive\"}}" + "}";
    }

    private Task<HttpResponseMessage> Import(string body, string contentType = "application/x-ndjson") =>
        Client.PostAsync("/api/imports", new StringContent(body, Encoding.UTF8, contentType));

    private Task GivenParties() => App.GivenPartiesAndIssuesAsync(["russia", "ukraine"], ["ceasefire"]);

    [Fact]
    public async Task an_ndjson_batch_is_appended_whole()
    {
        await GivenParties();

        var response = await Import(string.Join('\n', Line("russia", "opposes", "2025-03-01"), "",
            Line("russia", "conditional", "2025-03-13"), Line("ukraine", "accepts", "2025-03-11")));

        var report = await response.ReadAsync<ImportReport>();
        report.Received.ShouldBe(3);
        report.Appended.ShouldBe(3);
        report.Ids.Count.ShouldBe(3);
        (await Client.StanceAsync("russia", asOf: "2025-03-13")).On("ceasefire")!.Stance.ShouldBe("conditional");
    }

    [Fact]
    public async Task a_json_array_is_accepted_too()
    {
        await GivenParties();

        var report = await (await Import($"[{Line("russia", "opposes", "2025-03-01")},{Line("ukraine", "accepts", "2025-03-11")}]",
            "application/json")).ReadAsync<ImportReport>();

        report.Appended.ShouldBe(2);
    }

    [Fact]
    public async Task one_bad_line_and_nothing_is_appended_and_every_bad_line_is_named()
    {
        await GivenParties();
        var events = await App.EventCountAsync();

        var response = await Import(string.Join('\n',
            Line("russia", "opposes", "2025-03-01"),
            Line("atlantis", "opposes", "2025-03-01"),
            Line("russia", "maybe", "2025-03-01"),
            "{not json",
            Line("ukraine", "accepts", "2999-01-01")));

        var problem = await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest);
        problem["errors"]!.AsObject().Select(e => e.Key)
            .ShouldBe(["line 2.party", "line 3.stance", "line 4", "line 5.statedAt"], ignoreOrder: true);
        problem["detail"]!.ToString().ShouldContain("4 of 5 lines are invalid");
        (await App.EventCountAsync()).ShouldBe(events);
    }

    [Fact]
    public async Task imported_events_record_who_imported_them_and_the_request()
    {
        await GivenParties();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/imports")
        {
            Content = new StringContent(Line("russia", "opposes", "2025-03-01"), Encoding.UTF8, "application/x-ndjson"),
        };
        request.Headers.Add("X-Correlation-Id", "archive-load-7");
        request.Headers.Add("Idempotency-Key", "import-key-7");

        (await Client.SendAsync(request)).EnsureSuccessStatusCode();

        var stated = (await Client.GetFromJsonAsync<System.Text.Json.JsonElement[]>("/api/events?limit=1000"))!
            .Single(e => e.GetProperty("type").GetString() == "position_stated");
        stated.GetProperty("recordedBy").GetString().ShouldBe(AppFixture.EditorName);
        stated.GetProperty("correlationId").GetString().ShouldBe("archive-load-7");
        stated.GetProperty("version").GetInt64().ShouldBe(1);
        await using var session = App.Store.QuerySession();
        var e = (await session.Events.FetchStreamAsync(stated.GetProperty("streamId").GetString()!)).ShouldHaveSingleItem();
        e.Headers![PositionLedger.Infrastructure.Audit.IdempotencyKeyHeader].ToString().ShouldBe("import-key-7");
    }

    [Fact]
    public async Task two_imports_racing_with_the_same_ids_append_them_once_and_the_loser_gets_409()
    {
        await GivenParties();
        var archive = string.Join('\n', Enumerable.Range(1, 200)
            .Select(i => Line("russia", "opposes", "2025-03-01", $"bbbbbbbb-0000-4000-8000-{i:000000000000}")));

        var responses = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Import(archive)));

        responses.ShouldAllBe(r => r.StatusCode == HttpStatusCode.OK || r.StatusCode == HttpStatusCode.Conflict);
        var reports = await Task.WhenAll(responses.Where(r => r.IsSuccessStatusCode).Select(r => r.ReadAsync<ImportReport>()));
        reports.Sum(r => r.Appended).ShouldBe(200);
        (await App.EventCountAsync()).ShouldBe(2 + 1 + 200);
    }

    [Fact]
    public async Task the_same_import_sent_5_times_at_once_with_one_idempotency_key_is_appended_once()
    {
        await GivenParties();
        // Lines without ids: only the key can tell the repeats apart from new statements.
        var archive = string.Join('\n', Enumerable.Range(0, 50).Select(_ => Line("russia", "opposes", "2025-03-01")));

        var responses = await Task.WhenAll(Enumerable.Range(0, 5).Select(_ =>
        {
            var request = new HttpRequestMessage(HttpMethod.Post, "/api/imports")
            {
                Content = new StringContent(archive, Encoding.UTF8, "application/x-ndjson"),
            };
            request.Headers.Add("Idempotency-Key", "archive-once");
            return Client.SendAsync(request);
        }));

        responses.ShouldAllBe(r => r.StatusCode == HttpStatusCode.OK);
        (await Task.WhenAll(responses.Select(r => r.Content.ReadAsStringAsync()))).Distinct().ShouldHaveSingleItem();
        (await App.EventCountAsync()).ShouldBe(2 + 1 + 50);
    }

    [Fact]
    public async Task lines_with_their_own_ids_load_once()
    {
        await GivenParties();
        var archive = string.Join('\n', Line("russia", "opposes", "2025-03-01", "aaaaaaaa-0000-4000-8000-000000000001"),
            Line("ukraine", "accepts", "2025-03-11", "aaaaaaaa-0000-4000-8000-000000000002"));
        (await (await Import(archive)).ReadAsync<ImportReport>()).Appended.ShouldBe(2);
        var events = await App.EventCountAsync();

        var again = await (await Import(archive)).ReadAsync<ImportReport>();

        again.Appended.ShouldBe(0);
        again.AlreadyPresent.ShouldBe(2);
        (await App.EventCountAsync()).ShouldBe(events);
    }

    [Fact]
    public async Task another_content_type_is_refused()
    {
        await (await Import("party,issue", "text/csv")).ShouldBeProblemAsync(HttpStatusCode.UnsupportedMediaType);
        await (await Import("")).ShouldNameFieldAsync("body");
    }
}
