using Marten;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;
using Weasel.Postgresql.Tables;

namespace PositionLedger.Infrastructure;

/// <summary>
/// Reads from a PostgreSQL streaming replica (<c>ConnectionStrings:PositionLedgerReplica</c>) that answer exactly.
/// <para>
/// Every second the primary records its settled point (<see cref="SettledReads"/>) in a one-row table. When the
/// replica has replayed that row it has replayed every commit before it, so it holds every event whose record time is
/// at or before the value: an answer from the replica for a knownAt up to the replicated value is the exact answer for
/// that knownAt. A read without knownAt is therefore answered for the replica's settled point, and says so; a knownAt
/// beyond it (a client reading its own fresh write) goes to the primary, as do writes and the live feed.
/// </para>
/// <para>
/// A replica that cannot be reached is left alone for a few seconds while the primary answers, and
/// <c>/health/ready</c> reports it degraded.
/// </para>
/// </summary>
public sealed class ReadReplica : IDisposable
{
    public const string ConnectionName = "PositionLedgerReplica";
    public const string TableName = "pl_settled_point";

    /// <summary>The response header that says which database answered a read of the ledger: replica or primary.</summary>
    public const string AnsweredByHeader = "PositionLedger-Answered-By";

    private const string ItemKey = "positionledger.replica-settled";
    private static readonly TimeSpan Freshness = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan Pause = TimeSpan.FromSeconds(5);

    private readonly NpgsqlDataSource? _reads;
    private readonly string _table;
    private readonly TimeProvider _clock;
    private readonly SemaphoreSlim _reading = new(1, 1);
    private (DateTimeOffset Settled, DateTimeOffset ReadAt)? _last;
    private DateTimeOffset _pausedUntil;

    public ReadReplica(IConfiguration configuration, string schema, TimeProvider clock)
    {
        _table = $"{schema}.{TableName}";
        _clock = clock;
        if (configuration.GetConnectionString(ConnectionName) is not { Length: > 0 } connectionString) return;
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        // A replica that does not answer must not hold reads up for long: the primary answers instead.
        if (!connectionString.Contains("Timeout", StringComparison.OrdinalIgnoreCase)) builder.Timeout = 2;
        Stances = StanceDataSource.For(builder.ConnectionString);
        _reads = NpgsqlDataSource.Create(builder);
    }

    public bool Configured => _reads is not null;

    /// <summary>The stance query's pool on the replica (its generic plan, as on the primary).</summary>
    public StanceDataSource? Stances { get; }

    /// <summary>Whether the last attempt to read the replica failed (and the primary is answering).</summary>
    public bool Unreachable { get; private set; }

    public static Table DefineTable(string schema)
    {
        var table = new Table($"{schema}.{TableName}");
        table.AddColumn<int>("id").AsPrimaryKey();
        table.AddColumn<DateTimeOffset>("settled").NotNull();
        return table;
    }

    /// <summary>The settled point the replica has replayed (at most a quarter of a second old); null without one.</summary>
    public async Task<DateTimeOffset?> SettledPointAsync(CancellationToken ct)
    {
        if (_reads is null) return null;
        var now = _clock.GetUtcNow();
        if (_last is { } last && now - last.ReadAt < Freshness) return last.Settled;
        if (now < _pausedUntil) return null;
        await _reading.WaitAsync(ct);
        try
        {
            if (_last is { } again && _clock.GetUtcNow() - again.ReadAt < Freshness) return again.Settled;
            await using var command = _reads.CreateCommand($"select settled from {_table} where id = 1");
            await using var reader = await command.ExecuteReaderAsync(ct);
            Unreachable = false;
            if (!await reader.ReadAsync(ct)) return null; // nothing recorded yet
            var settled = reader.GetFieldValue<DateTimeOffset>(0);
            _last = (settled, now);
            return settled;
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException or System.Net.Sockets.SocketException)
        {
            Unreachable = true;
            _pausedUntil = _clock.GetUtcNow() + Pause;
            return null;
        }
        finally
        {
            _reading.Release();
        }
    }

    /// <summary>The replica answers this request for any knownAt up to <paramref name="settled"/>.</summary>
    public static void Answers(HttpContext context, DateTimeOffset settled) => context.Items[ItemKey] = settled;

    /// <summary>The replica's pool for a read at <paramref name="knownAt"/>, or null when the primary answers it.</summary>
    public StanceDataSource? StancesFor(HttpContext context, DateTimeOffset knownAt) => Chosen(context, knownAt) ? Stances : null;

    /// <summary>The replica's pool for the app's own reads at <paramref name="knownAt"/>, or null for the primary.</summary>
    public NpgsqlDataSource? ReadsFor(HttpContext context, DateTimeOffset knownAt) => Chosen(context, knownAt) ? _reads : null;

    private static bool Chosen(HttpContext context, DateTimeOffset knownAt)
    {
        var replica = context.Items.TryGetValue(ItemKey, out var value) && value is DateTimeOffset settled && knownAt <= settled;
        context.Response.Headers[AnsweredByHeader] = replica ? "replica" : "primary";
        return replica;
    }

    public void Dispose()
    {
        Stances?.Dispose();
        _reads?.Dispose();
        _reading.Dispose();
    }

    /// <summary>On the primary: every second, the settled point into the one-row table the replica reads.</summary>
    public sealed class RecordSettledPoint(SettledReads reads, NpgsqlDataSource db, ReadReplica replica, ILogger<RecordSettledPoint> logger)
        : BackgroundService
    {
        protected override async Task ExecuteAsync(CancellationToken stoppingToken)
        {
            if (!replica.Configured) return;
            using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
            do
            {
                try
                {
                    var (_, settled) = await reads.ReadLedgerAsync(stoppingToken);
                    // Several nodes record it; the value only moves forward.
                    await using var command = db.CreateCommand(
                        $"insert into {replica._table} (id, settled) values (1, $1) "
                        + "on conflict (id) do update set settled = greatest(excluded.settled, " + replica._table + ".settled)");
                    command.Parameters.Add(new NpgsqlParameter { Value = settled });
                    await command.ExecuteNonQueryAsync(stoppingToken);
                }
                catch (Exception e) when (e is NpgsqlException or TimeoutException)
                {
                    logger.LogWarning(e, "Could not record the settled point; the replica answers for the last one it has");
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
    }

    /// <summary>Ready with or without the replica (the primary answers), degraded while it cannot be reached.</summary>
    public sealed class Health(ReadReplica replica) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken ct = default)
        {
            if (!replica.Configured) return HealthCheckResult.Healthy("No replica is configured: the primary answers every read.");
            replica._pausedUntil = default; // a health check looks now
            await replica.SettledPointAsync(ct);
            return replica.Unreachable
                ? HealthCheckResult.Degraded("The replica cannot be reached: the primary answers every read.")
                : HealthCheckResult.Healthy("Reads at a settled knownAt are answered by the replica.");
        }
    }
}
