using System.Threading.Channels;
using Marten;
using Marten.Services;
using Npgsql;

namespace PositionLedger.EventLog;

/// <summary>
/// Wakes the live feed of every node once appends have committed: a notification on <see cref="LiveEventHub.Channel"/>,
/// sent after the commit in a transaction of its own with asynchronous commit, at most one per <see cref="Spacing"/>
/// with the repeats that arrive meanwhile folded into it. Sent inside the appending transaction instead, it would take
/// PostgreSQL's notify lock, which is held until the commit is flushed, and so serialise every appending commit (B1 at
/// 100,000 statements: 0.40-0.46 x bare appends, against 0.62-0.64 x with no notification; docs/benchmarks.md). A
/// notification lost in a crash costs only latency: the feed also polls.
/// </summary>
public sealed class AppendNotifier(NpgsqlDataSource db, TimeProvider clock, ILogger<AppendNotifier> logger) : BackgroundService
{
    /// <summary>
    /// The least time between two notifications: each wakes a read of the log on every node, and under a steady stream
    /// of appends one read per commit costs the writers more than the feed gains (B1 at 100,000 statements: 0.54 x
    /// bare appends notifying after every commit). A commit waits at most this long for its wake-up.
    /// </summary>
    public static readonly TimeSpan Spacing = TimeSpan.FromMilliseconds(10);

    private readonly Channel<bool> _pending = Channel.CreateBounded<bool>(
        new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true });

    /// <summary>Asks for a notification; one already waiting to be sent covers this one too.</summary>
    public void Wake() => _pending.Writer.TryWrite(true);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (await _pending.Reader.WaitToReadAsync(stoppingToken))
            {
                _pending.Reader.TryRead(out _);
                try
                {
                    await NotifyAsync(stoppingToken);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    logger.LogWarning(e, "Could not notify the live feeds of an append; they poll until the next notification");
                }
                await Task.Delay(Spacing, clock, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>
    /// One notification on a pooled connection (no connection is held between them). A wake-up needs no durability:
    /// its commit does not wait for a WAL flush.
    /// </summary>
    private async Task NotifyAsync(CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var batch = new NpgsqlBatch(connection)
        {
            BatchCommands = { new("begin"), new("set local synchronous_commit = off"), new(LiveEventHub.NotifySql), new("commit") },
        };
        await batch.ExecuteNonQueryAsync(ct);
    }

    /// <summary>Wakes the notifier after every session that appended events commits.</summary>
    /// <remarks>
    /// A session writing in a request's own transaction (an idempotency key) has not committed yet here: that wake is
    /// early and harmless, and <see cref="Infrastructure.Idempotency"/> wakes the notifier again after its commit.
    /// </remarks>
    public sealed class AfterAppend(AppendNotifier notifier) : DocumentSessionListenerBase
    {
        public override Task AfterCommitAsync(IDocumentSession session, IChangeSet commit, CancellationToken token)
        {
            if (commit.GetEvents().Any()) notifier.Wake();
            return Task.CompletedTask;
        }
    }
}
