using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using PositionLedger.EventLog;
using PositionLedger.Statements;
using PositionLedger.Tests.Infrastructure;
using static PositionLedger.Tests.Infrastructure.Scenario;

namespace PositionLedger.Tests.EventLog;

/// <summary>
/// An app whose live feed polls only once a minute and keeps a window of 8 events: an event that arrives within
/// seconds was woken by PostgreSQL's notification, and a subscriber 20 events behind catches up from the log.
/// </summary>
public sealed class NotifiedApp() : AppFixture(["--Live:PollMilliseconds=60000", "--Live:Window=8"]);

public sealed class when_following_the_live_feed(NotifiedApp app) : IClassFixture<NotifiedApp>, IAsyncLifetime
{
    public async Task InitializeAsync()
    {
        await app.ResetAsync();
        await app.GivenPartiesAndIssuesAsync(["russia"], ["ceasefire"]);
        var hub = app.Services.GetRequiredService<LiveEventHub>();
        for (var i = 0; i < 100 && !hub.Listening; i++) await Task.Delay(50);
        hub.Listening.ShouldBeTrue("the node listens for notifications");
    }

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task a_commit_reaches_a_subscriber_at_once_without_waiting_for_the_poll()
    {
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await using var feed = await LiveFeed.OpenAsync(app.Client, null, cancel.Token);

        var appended = await app.Client.PostAsJsonAsync("/api/statements", new
        {
            party = "russia", issue = "ceasefire", stance = "rejects", statedAt = "2025-03-13", speaker = "Dmitry Peskov",
            quote = "No.", source = new { outlet = "TASS" },
        }, cancel.Token);
        appended.EnsureSuccessStatusCode();
        var started = DateTimeOffset.UtcNow;

        var message = await feed.NextAsync(cancel.Token);
        message.Event.ShouldBe("position_stated");
        (DateTimeOffset.UtcNow - started).ShouldBeLessThan(TimeSpan.FromSeconds(5), "the poll is a minute away: the notification woke the feed");
    }

    [Fact]
    public async Task an_append_under_an_idempotency_key_and_an_import_wake_the_feed_once_committed()
    {
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await using var feed = await LiveFeed.OpenAsync(app.Client, null, cancel.Token);

        // The keyed append commits in the request's own transaction, after its session has saved.
        using var keyed = new HttpRequestMessage(HttpMethod.Post, "/api/statements")
        {
            Content = JsonContent.Create(new
            {
                party = "russia", issue = "ceasefire", stance = "opposes", statedAt = "2025-03-12", speaker = "Yuri Ushakov",
                quote = "A temporary truce.", source = new { outlet = "TASS" },
            }),
        };
        keyed.Headers.Add("Idempotency-Key", Guid.NewGuid().ToString());
        (await app.Client.SendAsync(keyed, cancel.Token)).EnsureSuccessStatusCode();
        var started = DateTimeOffset.UtcNow;
        (await feed.NextAsync(cancel.Token)).Event.ShouldBe("position_stated");

        var line = """{"party":"russia","issue":"ceasefire","stance":"rejects","speaker":"S","quote":"Q","statedAt":"2025-03-13","source":{"outlet":"A"}}""";
        (await app.Client.PostAsync("/api/imports", new StringContent(line, System.Text.Encoding.UTF8, "application/x-ndjson"), cancel.Token))
            .EnsureSuccessStatusCode();
        (await feed.NextAsync(cancel.Token)).Event.ShouldBe("position_stated");

        (DateTimeOffset.UtcNow - started).ShouldBeLessThan(TimeSpan.FromSeconds(5), "the poll is a minute away: notifications woke the feed");
    }

    [Fact]
    public async Task a_subscriber_behind_the_window_catches_up_from_the_log_in_order_then_follows_live()
    {
        var before = await LastSequenceAsync();
        var stated = Enumerable.Range(0, 20).Select(i => Stated("russia", "ceasefire", Stance.Supports, $"2025-03-{1 + i:00}")).ToArray();
        foreach (var statement in stated) await app.GivenAsync(statement);
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await using var feed = await LiveFeed.OpenAsync(app.Client, before, cancel.Token);

        var received = new List<LiveFeed.Message>();
        for (var i = 0; i < stated.Length; i++) received.Add(await feed.NextAsync(cancel.Token));
        var later = Stated("russia", "ceasefire", Stance.Rejects, "2025-03-25");
        await app.GivenAsync(later);
        received.Add(await feed.NextAsync(cancel.Token));

        received.Select(m => m.Data.GetProperty("data").GetProperty("statementId").GetString())
            .ShouldBe([.. stated.Select(s => s.StatementId.ToString()), later.StatementId.ToString()]);
        received.Select(m => m.Id).ShouldBeInOrder(SortDirection.Ascending);
        received.Select(m => m.Id).Distinct().Count().ShouldBe(received.Count);
    }

    [Fact]
    public async Task resuming_by_last_event_id_on_a_restarted_node_misses_and_repeats_nothing()
    {
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await using var feed = await LiveFeed.OpenAsync(app.Client, null, cancel.Token);
        var first = Enumerable.Range(0, 3).Select(i => Stated("russia", "ceasefire", Stance.Opposes, $"2025-03-{1 + i:00}")).ToArray();
        foreach (var statement in first) await app.GivenAsync(statement);
        var seen = new List<LiveFeed.Message> { await feed.NextAsync(cancel.Token), await feed.NextAsync(cancel.Token) };
        await feed.DisposeAsync();

        // While the subscriber is away, more is appended; it comes back to another node started on the same ledger.
        var second = Enumerable.Range(0, 3).Select(i => Stated("russia", "ceasefire", Stance.Accepts, $"2025-03-{10 + i:00}")).ToArray();
        foreach (var statement in second) await app.GivenAsync(statement);
        await using var restarted = AppFixture.OnSchemaOf(app);
        await ((IAsyncLifetime)restarted).InitializeAsync();
        await using var resumed = await LiveFeed.OpenAsync(restarted.Client, null, cancel.Token, lastEventId: seen[^1].Id);
        for (var i = 0; i < 4; i++) seen.Add(await resumed.NextAsync(cancel.Token));

        seen.Select(m => m.Event).ShouldAllBe(e => e == "position_stated", string.Join(", ", seen.Select(m => $"{m.Id} {m.Event} {m.Data}")));
        seen.Select(m => m.Data.GetProperty("data").GetProperty("statementId").GetString())
            .ShouldBe([.. first.Concat(second).Select(s => s.StatementId.ToString())]);
    }

    private async Task<long> LastSequenceAsync()
    {
        var events = await app.Client.GetFromJsonAsync<JsonElement[]>("/api/events?limit=1000");
        return events!.Max(e => e.GetProperty("sequence").GetInt64());
    }
}

/// <summary>A subscription to /api/events/live read message by message (the ready message is read on opening).</summary>
public sealed class LiveFeed : IAsyncDisposable
{
    public sealed record Message(string Event, long Id, JsonElement Data);

    private readonly HttpResponseMessage _response;
    private readonly StreamReader _reader;

    private LiveFeed(HttpResponseMessage response, StreamReader reader) => (_response, _reader) = (response, reader);

    public static async Task<LiveFeed> OpenAsync(HttpClient client, long? after, CancellationToken ct, long? lastEventId = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, after is null ? "/api/events/live" : $"/api/events/live?after={after}");
        if (lastEventId is not null) request.Headers.Add("Last-Event-ID", lastEventId.ToString());
        var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
        response.EnsureSuccessStatusCode();
        var feed = new LiveFeed(response, new StreamReader(await response.Content.ReadAsStreamAsync(ct)));
        (await feed.ReadAsync(ct)).Event.ShouldBe("ready");
        return feed;
    }

    public Task<Message> NextAsync(CancellationToken ct) => ReadAsync(ct);

    private async Task<Message> ReadAsync(CancellationToken ct)
    {
        string? type = null, data = null;
        long id = 0;
        while (await _reader.ReadLineAsync(ct) is { } line)
        {
            if (line.Length == 0 && type is not null) return new Message(type, id, JsonDocument.Parse(data ?? "null").RootElement);
            if (line.StartsWith("event: ", StringComparison.Ordinal)) type = line[7..];
            else if (line.StartsWith("id: ", StringComparison.Ordinal)) id = long.Parse(line[4..], System.Globalization.CultureInfo.InvariantCulture);
            else if (line.StartsWith("data: ", StringComparison.Ordinal)) data = line[6..];
        }
        throw new EndOfStreamException("The live feed ended.");
    }

    public ValueTask DisposeAsync()
    {
        _reader.Dispose();
        _response.Dispose();
        return ValueTask.CompletedTask;
    }
}
