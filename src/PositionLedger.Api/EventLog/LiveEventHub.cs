using System.Globalization;
using System.Net.ServerSentEvents;
using System.Text.Json;
using System.Threading.Channels;
using JasperFx.Events;
using Marten;
using Marten.Services;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;
using Npgsql;

namespace PositionLedger.EventLog;

/// <summary>
/// Follows the event log once per node for every live subscriber. PostgreSQL wakes it: once appends commit, their node
/// sends a notification on <see cref="Channel"/> (<see cref="AppendNotifier"/>), and one connection per node listens. Polling stays
/// as the fallback (a lost listener, a notification missed while reconnecting). The hub reads new events once, waits at
/// a sequence gap as <see cref="GapPatience"/> says (a lower sequence may still commit), and keeps the latest events in
/// a window from which every subscriber takes what it has not sent yet; one further behind catches up from the database.
/// </summary>
public sealed class LiveEventHub(IDocumentStore store, NpgsqlDataSource db, TimeProvider clock, IConfiguration configuration,
    IOptions<JsonOptions> json, ILogger<LiveEventHub> logger) : BackgroundService
{
    public const string Channel = "pl_events_appended";
    public const string PollSetting = "Live:PollMilliseconds";
    public const string WindowSetting = "Live:Window";

    /// <summary>Off where LISTEN cannot work (a transaction-pooling proxy in front of PostgreSQL): polling alone.</summary>
    public const string ListenSetting = "Live:Listen";

    /// <summary>The notification <see cref="AppendNotifier"/> sends.</summary>
    public const string NotifySql = $"select pg_notify('{Channel}', '')";

    /// <summary>
    /// A writer that reserved a lower sequence may commit after a higher one is visible. A gap is waited
    /// for this long before it is taken as a rolled-back append and passed over, so nothing is skipped.
    /// </summary>
    public static readonly TimeSpan GapPatience = TimeSpan.FromSeconds(3);

    private const int ReadSize = 500;

    /// <summary>An event passed by the hub; <see cref="Item"/> is null for one not published (see EventLogQueries.IsHidden).</summary>
    public sealed record Passed(long Sequence, SseItem<string>? Item);

    /// <summary>
    /// What a subscriber that has sent everything up to a sequence gets: the events after it (null when it is behind
    /// the window and must read the database up to <see cref="Last"/>), and a task that completes when more arrive.
    /// </summary>
    public sealed record Slice(IReadOnlyList<Passed>? Events, long Last, Task Changed);

    private readonly TimeSpan _poll = TimeSpan.FromMilliseconds(configuration.GetValue(PollSetting, 250));
    private readonly int _windowSize = Math.Max(1, configuration.GetValue(WindowSetting, 4096));
    private readonly Channel<bool> _wakeups = System.Threading.Channels.Channel.CreateBounded<bool>(
        new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly Lock _gate = new();
    private readonly List<Passed> _window = [];
    private long _last;
    private int _followers;
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TaskCompletionSource _read = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Whether this node's listener is connected (else the feed runs on polling alone).</summary>
    public bool Listening { get; private set; }

    /// <summary>
    /// Where a new subscriber's feed starts: the hub reads the log once more (one read for every subscriber that asks
    /// meanwhile, where a query each would exhaust the pool when a thousand connect at once) and answers its last sequence.
    /// </summary>
    public async Task<long> CurrentAsync(CancellationToken ct)
    {
        // A read already under way may have begun before the caller's moment: the one after it has not.
        for (var i = 0; i < 2; i++)
        {
            Task read;
            lock (_gate) read = _read.Task;
            _wakeups.Writer.TryWrite(true);
            await read.WaitAsync(ct);
        }
        lock (_gate) return _last;
    }

    /// <summary>A subscriber starts following; the hub catches up at once (it may have let notifications pass while none did).</summary>
    public void Joined()
    {
        Interlocked.Increment(ref _followers);
        _wakeups.Writer.TryWrite(true);
    }

    public void Left() => Interlocked.Decrement(ref _followers);

    public Slice After(long sent)
    {
        lock (_gate)
        {
            var oldest = _window.Count > 0 ? _window[0].Sequence : _last + 1;
            if (sent < oldest - 1) return new Slice(null, _last, _changed.Task);
            var first = _window.FindIndex(p => p.Sequence > sent);
            return new Slice(first < 0 ? [] : _window.GetRange(first, _window.Count - first), _last, _changed.Task);
        }
    }

    /// <summary>
    /// An event as a server-sent message, its JSON written once (with the app's JSON options) for every subscriber:
    /// a thousand subscribers otherwise serialize each event a thousand times.
    /// </summary>
    public SseItem<string> MessageOf(IEvent e) =>
        new(JsonSerializer.Serialize(EventView.Of(e), json.Value.SerializerOptions), e.EventTypeName)
        {
            EventId = e.Sequence.ToString(CultureInfo.InvariantCulture),
        };

    /// <summary>For tests that empty the event log under a running app: start again from its highest sequence.</summary>
    public async Task ForgetAsync()
    {
        var highest = await store.Storage.Database.FetchHighestEventSequenceNumber();
        lock (_gate)
        {
            _window.Clear();
            _last = highest;
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                _last = await store.Storage.Database.FetchHighestEventSequenceNumber(stoppingToken);
                break;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogWarning(e, "The live feed cannot read the event log yet; trying again");
                await Task.Delay(TimeSpan.FromSeconds(1), clock, stoppingToken);
            }
        }
        var listening = configuration.GetValue(ListenSetting, true) ? ListenAsync(stoppingToken) : Task.CompletedTask;
        while (!stoppingToken.IsCancellationRequested)
        {
            var caughtUp = true;
            try
            {
                caughtUp = await ReadNewAsync(stoppingToken);
                TaskCompletionSource read;
                lock (_gate)
                {
                    read = _read;
                    _read = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                }
                read.TrySetResult();
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogWarning(e, "The live feed could not read new events; trying again");
            }
            if (caughtUp) await WaitForWakeupAsync(stoppingToken);
        }
        await listening;
    }

    /// <summary>Reads what follows the last passed event, passes what is in order, and says whether it caught up.</summary>
    private async Task<bool> ReadNewAsync(CancellationToken ct)
    {
        IReadOnlyList<IEvent> events;
        await using (var session = store.QuerySession())
        {
            events = await EventLogQueries.AfterAsync(session, _last, ReadSize, withHidden: true, ct);
        }
        var passed = new List<Passed>();
        var caughtUp = events.Count < ReadSize;
        var last = _last;
        foreach (var e in events)
        {
            if (e.Sequence != last + 1 && clock.GetUtcNow() - e.Timestamp < GapPatience)
            {
                caughtUp = true;
                break;
            }
            last = e.Sequence;
            passed.Add(new Passed(e.Sequence, EventLogQueries.IsHidden(e) ? null : MessageOf(e)));
        }
        if (passed.Count == 0) return caughtUp;
        TaskCompletionSource changed;
        lock (_gate)
        {
            _window.AddRange(passed);
            if (_window.Count > _windowSize) _window.RemoveRange(0, _window.Count - _windowSize);
            _last = last;
            changed = _changed;
            _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
        changed.TrySetResult();
        return caughtUp;
    }

    private async Task WaitForWakeupAsync(CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(_poll);
        try
        {
            await _wakeups.Reader.WaitToReadAsync(timeout.Token);
            _wakeups.Reader.TryRead(out _);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            // The poll interval passed without a notification: read anyway.
        }
    }

    /// <summary>One connection that listens, reconnected after a failure; each notification wakes the reader.</summary>
    private async Task ListenAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await using var connection = await db.OpenConnectionAsync(ct);
                // With no one following on this node, a notification is let pass and the hub reads at its poll: under a
                // steady stream of appends, a read per notification would cost the writers for nothing.
                connection.Notification += (_, _) =>
                {
                    if (Volatile.Read(ref _followers) > 0) _wakeups.Writer.TryWrite(true);
                };
                await using (var listen = new NpgsqlCommand($"listen {Channel}", connection))
                    await listen.ExecuteNonQueryAsync(ct);
                Listening = true;
                // Whatever committed while no one listened is read now.
                _wakeups.Writer.TryWrite(true);
                while (true) await connection.WaitAsync(ct);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                Listening = false;
                logger.LogWarning(e, "The live feed's listener lost its connection; polling until it is back");
                try { await Task.Delay(TimeSpan.FromSeconds(1), clock, ct); }
                catch (OperationCanceledException) { return; }
            }
        }
    }
}
