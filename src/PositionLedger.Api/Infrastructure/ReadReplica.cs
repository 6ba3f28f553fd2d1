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
    public const string MaxLagSetting = "Reads:ReplicaMaxLagSeconds";
    public const string TableName = "pl_settled_point";

    /// <summary>The response header that says which database answered a read of the ledger: replica or primary.</summary>
    public const string AnsweredByHeader = "PositionLedger-Answered-By";

    private const string ItemKey = "positionledger.replica-settled";
    private static readonly TimeSpan Freshness = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan Pause = TimeSpan.FromSeconds(5);

    private readonly string _table;
    private readonly TimeProvider _clock;
    private readonly SemaphoreSlim _reading = new(1, 1);
    private (DateTimeOffset Settled, DateTimeOffset ReadAt)? _last;
    private DateTimeOffset _pausedUntil;

    public ReadReplica(IConfiguration configuration, string schema, TimeProvider clock)
    {
        _table = $"{schema}.{TableName}";
        _clock = clock;
        MaxLag = TimeSpan.FromSeconds(configuration.GetValue(MaxLagSetting, 5.0));
        if (configuration.GetConnectionString(ConnectionName) is not { Length: > 0 } connectionString) return;
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        // A replica that does not answer must not hold reads up for long: the primary answers instead.
        if (!connectionString.Contains("Timeout", StringComparison.OrdinalIgnoreCase))
        {
            builder.Timeout = 2;
            builder.CommandTimeout = 5;
        }
        // One pool on the replica, for its settled point and for the reads it answers.
        Stances = StanceDataSource.For(builder.ConnectionString);
    }

    public bool Configured => Stances is not null;

    /// <summary>
    /// How far the replica's settled point may trail now for a read without knownAt to be answered there (default 5 s:
    /// the clock-skew bound, a second of recording and the replication lag); further behind, the primary answers.
    /// </summary>
    public TimeSpan MaxLag { get; }

    /// <summary>Whether a settled point read from the replica is recent enough to stand in for "now".</summary>
    public bool Fresh(DateTimeOffset settled) => _clock.GetUtcNow() - settled <= MaxLag;

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
        if (Stances is null) return null;
        var now = _clock.GetUtcNow();
        if (_last is { } last && now - last.ReadAt < Freshness) return last.Settled;
        if (now < _pausedUntil) return null;
        await _reading.WaitAsync(ct);
        try
        {
            // Another request may have read it, or failed, while this one waited.
            if (_last is { } again && _clock.GetUtcNow() - again.ReadAt < Freshness) return again.Settled;
            if (_clock.GetUtcNow() < _pausedUntil) return null;
            await using var command = Stances.Value.CreateCommand($"select settled from {_table} where id = 1");
            await using var reader = await command.ExecuteReaderAsync(ct);
            Unreachable = false;
            // Nothing recorded yet reads as the earliest instant: no knownAt is settled there, and it is not asked again for a while.
            var settled = await reader.ReadAsync(ct) ? reader.GetFieldValue<DateTimeOffset>(0) : DateTimeOffset.MinValue;
            _last = (settled, now);
            return settled;
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException or System.Net.Sockets.SocketException)
        {
            PauseAfterFailure();
            return null;
        }
        finally
        {
            _reading.Release();
        }
    }

    /// <summary>The replica may answer this request for any knownAt up to <paramref name="settled"/>.</summary>
    public static void Answers(HttpContext context, DateTimeOffset settled) => context.Items[ItemKey] = settled;

    /// <summary>
    /// An open connection to a replica that holds every event recorded at or before <paramref name="knownAt"/>, for
    /// this request's read; null when the primary answers it. The settled point is checked again on that very
    /// connection: behind one address (CloudNativePG's read-only service) several replicas may have replayed to
    /// different points, and the one this connection reached must itself hold the knownAt.
    /// </summary>
    public async Task<NpgsqlConnection?> OpenForAsync(HttpContext context, DateTimeOffset knownAt, CancellationToken ct)
    {
        NpgsqlConnection? connection = null;
        if (Stances is not null && context.Items.TryGetValue(ItemKey, out var value) && value is DateTimeOffset settled
            && knownAt <= settled)
        {
            try
            {
                connection = await Stances.Value.OpenConnectionAsync(ct);
                await using var command = new NpgsqlCommand($"select settled from {_table} where id = 1", connection);
                await using var reader = await command.ExecuteReaderAsync(ct);
                if (!await reader.ReadAsync(ct) || reader.GetFieldValue<DateTimeOffset>(0) < knownAt)
                {
                    await connection.DisposeAsync();
                    connection = null;
                }
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException or System.Net.Sockets.SocketException)
            {
                if (connection is not null) await connection.DisposeAsync();
                connection = null;
                PauseAfterFailure();
            }
        }
        context.Response.Headers[AnsweredByHeader] = connection is null ? "primary" : "replica";
        return connection;
    }

    private void PauseAfterFailure()
    {
        Unreachable = true;
        _pausedUntil = _clock.GetUtcNow() + Pause;
        _last = null;
    }

    public void Dispose()
    {
        Stances?.Dispose();
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
            var settled = await replica.SettledPointAsync(ct);
            if (replica.Unreachable) return HealthCheckResult.Degraded("The replica cannot be reached: the primary answers every read.");
            return settled is { } point && replica.Fresh(point)
                ? HealthCheckResult.Healthy("Reads at a settled knownAt are answered by the replica.")
                : HealthCheckResult.Degraded($"The replica's settled point trails now by more than {replica.MaxLag.TotalSeconds:N0} s: "
                    + "reads without knownAt are answered by the primary.");
        }
    }
}

public static class ReplicaCommands
{
    /// <summary>A command on the replica connection a read was given (<see cref="ReadReplica.OpenForAsync"/>), else on the pool.</summary>
    public static NpgsqlCommand CommandOn(this NpgsqlDataSource pool, NpgsqlConnection? replica, string sql) =>
        replica is null ? pool.CreateCommand(sql) : new NpgsqlCommand(sql, replica);
}
