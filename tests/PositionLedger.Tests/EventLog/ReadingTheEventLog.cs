using System.Net.Http.Json;
using System.Text.Json;
using PositionLedger.EventLog;
using PositionLedger.Statements;
using PositionLedger.Tests.Infrastructure;
using static PositionLedger.Tests.Infrastructure.Scenario;

namespace PositionLedger.Tests.EventLog;

public sealed class when_reading_the_event_log(AppFixture app) : ApiTest(app)
{
    [Fact]
    public async Task the_raw_log_comes_in_record_order_and_pages_by_sequence()
    {
        await App.GivenPartiesAndIssuesAsync(["russia"], ["ceasefire"]);
        var stated = Stated("russia", "ceasefire", Stance.Conditional, "2025-03-13");
        await App.GivenAsync(stated, new StatementRetracted(stated.StatementId, "Duplicate"));

        var all = (await Client.GetFromJsonAsync<JsonElement[]>("/api/events?limit=1000"))!;
        all.Select(e => e.GetProperty("type").GetString())
            .ShouldBe(["party_registered", "issue_opened", "position_stated", "statement_retracted"]);
        all[2].GetProperty("streamId").GetString().ShouldBe(stated.StatementId.ToString());
        all[2].GetProperty("data").GetProperty("content").GetProperty("stance").GetString().ShouldBe("conditional");
        all.Select(e => e.GetProperty("sequence").GetInt64()).ShouldBeInOrder();

        var after = all[1].GetProperty("sequence").GetInt64();
        var page = await Client.GetFromJsonAsync<EventView[]>($"/api/events?after={after}&limit=1");
        page!.ShouldHaveSingleItem().Type.ShouldBe("position_stated");
    }

    [Fact]
    public async Task the_export_streams_the_whole_log_as_ndjson_in_record_order()
    {
        await App.GivenPartiesAndIssuesAsync(["russia", "ukraine"], ["ceasefire"]);
        var stated = Stated("russia", "ceasefire", Stance.Conditional, "2025-03-13");
        stated = stated with { Content = stated.Content with { Quote = "“Кремль” said \"no\" \\ tab\t 🕊" } };
        await App.GivenAsync(stated, new StatementRetracted(stated.StatementId, "Duplicate"));

        var response = await Client.GetAsync("/api/events/export");

        response.Content.Headers.ContentType!.MediaType.ShouldBe("application/x-ndjson");
        var lines = (await response.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => JsonDocument.Parse(l).RootElement).ToList();
        lines.Count.ShouldBe(5);
        lines.Select(l => l.GetProperty("sequence").GetInt64()).ShouldBeInOrder();
        lines[3].GetProperty("type").GetString().ShouldBe("position_stated");
        lines[3].GetProperty("data").GetProperty("content").GetProperty("party").GetString().ShouldBe("russia");
        lines[3].GetProperty("data").GetProperty("content").GetProperty("quote").GetString().ShouldBe(stated.Content.Quote);

        var after = lines[2].GetProperty("sequence").GetInt64();
        var rest = (await Client.GetStringAsync($"/api/events/export?after={after}")).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        rest.Length.ShouldBe(2);
    }

    [Fact]
    public async Task the_export_read_in_chunks_by_two_connections_is_the_whole_log_once_and_in_order()
    {
        await App.GivenPartiesAndIssuesAsync(["russia", "ukraine"], ["ceasefire", "kursk"]);
        var stated = Enumerable.Range(0, 40)
            .Select(i => Stated(i % 2 == 0 ? "russia" : "ukraine", i % 3 == 0 ? "kursk" : "ceasefire", Stance.Supports,
                $"2025-03-{1 + i % 28:00}"))
            .ToArray();
        await App.GivenAsync([.. stated, new StatementRetracted(stated[7].StatementId, "Duplicate")]);
        var log = (await Client.GetFromJsonAsync<JsonElement[]>("/api/events?limit=1000"))!;

        var lines = (await Client.GetStringAsync("/api/events/export")).Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => JsonDocument.Parse(l).RootElement).ToList();

        log.Length.ShouldBe(45);
        lines.Select(l => l.GetProperty("sequence").GetInt64()).ShouldBe(log.Select(e => e.GetProperty("sequence").GetInt64()));
        lines.Select(l => l.GetProperty("streamId").GetString()).ShouldBe(log.Select(e => e.GetProperty("streamId").GetString()));
        lines[^1].GetProperty("data").GetProperty("statementId").GetGuid().ShouldBe(stated[7].StatementId);
        lines[^1].GetProperty("recordedBy").ValueKind.ShouldBe(JsonValueKind.Null);
        var after = lines[20].GetProperty("sequence").GetInt64();
        (await Client.GetStringAsync($"/api/events/export?after={after}"))
            .Split('\n', StringSplitOptions.RemoveEmptyEntries).Length.ShouldBe(24);
    }

    [Fact]
    public async Task the_live_feed_sends_each_new_event_as_it_is_appended()
    {
        await App.GivenPartiesAndIssuesAsync(["russia"], ["ceasefire"]);
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        using var response = await Client.GetAsync("/api/events/live", HttpCompletionOption.ResponseHeadersRead, cancel.Token);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("text/event-stream");
        var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cancel.Token));
        (await reader.ReadLineAsync(cancel.Token)).ShouldBe("event: ready");

        var stated = Stated("russia", "ceasefire", Stance.Rejects, "2025-03-13");
        await App.GivenAsync(stated);

        var lines = new List<string>();
        while (!lines.Contains("event: position_stated") || lines[^1].Length > 0)
        {
            lines.Add((await reader.ReadLineAsync(cancel.Token))!);
        }
        var message = lines.SkipWhile(l => l != "event: position_stated").ToList();
        message.ShouldContain(l => l.StartsWith("id: ", StringComparison.Ordinal));
        message.Single(l => l.StartsWith("data:", StringComparison.Ordinal)).ShouldContain(stated.StatementId.ToString());
    }
}
