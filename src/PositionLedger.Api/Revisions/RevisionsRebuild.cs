using JasperFx.Events;
using Marten;
using Npgsql;
using PositionLedger.Statements;

namespace PositionLedger.Revisions;

/// <summary>
/// Rebuilds the revision table from the event log into a new table and swaps it in, so that stance
/// queries keep answering from the old table the whole time and appends wait only for the swap.
/// <para>
/// Faster than replaying through the async daemon (which must close earlier revisions page by page, with
/// every index kept up to date): PostgreSQL gives each statement event the record time of the next event
/// of its statement (a window over the stream), so every revision row is written once, complete, by two
/// set-based statements (half the streams each, on one shared snapshot) into a table without indexes; the
/// indexes are then built in bulk, two at a time. Events committed while this ran are applied by the
/// projection itself under a lock, just before the swap.
/// </para>
/// </summary>
public sealed class RevisionsRebuild(IDocumentStore store, NpgsqlDataSource db, RevisionTable table, StoredEventRevisions rows)
{
    private const int Writers = 2;

    /// <summary>The advisory lock a rebuild holds, so that two never build the same new table at once.</summary>
    private const long RebuildLock = 0x504c_5245_4255_494c;

    /// <param name="Phases">How long each phase took: writing the rows, building the indexes, vacuuming, the swap.</param>
    /// <param name="ThroughSequence">The last event sequence the snapshot saw; later ones were caught up at the swap.</param>
    public sealed record Report(
        long ThroughSequence, long Revisions, long CaughtUp, TimeSpan Elapsed, IReadOnlyDictionary<string, TimeSpan> Phases);

    public async Task<Report> RunAsync(IProgress<long>? progress, CancellationToken ct)
    {
        await using var guard = await db.OpenConnectionAsync(ct);
        if (!(bool)(await ScalarAsync(guard, null, $"select pg_try_advisory_lock({RebuildLock})", ct))!)
            throw new InvalidOperationException("Another rebuild of the revision table is running.");
        try
        {
            return await RebuildAsync(progress, ct);
        }
        finally
        {
            await ScalarAsync(guard, null, $"select pg_advisory_unlock({RebuildLock})", CancellationToken.None);
        }
    }

    private async Task<Report> RebuildAsync(IProgress<long>? progress, CancellationToken ct)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var live = table.QualifiedName;
        var schema = live[..live.IndexOf('.', StringComparison.Ordinal)];
        var name = live[(schema.Length + 1)..];
        var shadow = $"{schema}.{name}_rebuild";
        var liveClaims = table.ResolvedClaims;
        var claimsName = liveClaims[(schema.Length + 1)..];
        var claimsShadow = $"{schema}.{claimsName}_rebuild";
        var events = $"{store.Options.Events.DatabaseSchemaName}.mt_events";

        await ExecuteAsync($"drop table if exists {shadow}; create table {shadow} (like {live} including defaults)", ct);
        await ExecuteAsync($"drop table if exists {claimsShadow}; create table {claimsShadow} (like {liveClaims} including defaults)", ct);

        // One snapshot for the whole read, shared by the writers: its last sequence and the sequences it
        // could not see (transactions still open then), which are caught up at the swap if they committed since.
        await using var reader = await db.OpenConnectionAsync(ct);
        await using var snapshot = await reader.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, ct);
        // It stays open, idle, while the writers use its snapshot: not to be ended as an abandoned session.
        await ScalarAsync(reader, snapshot, "set local idle_in_transaction_session_timeout = 0", ct);
        var last = (long)(await ScalarAsync(reader, snapshot, $"select coalesce(max(seq_id), 0) from {events}", ct))!;
        var unseen = new List<(long From, long To)>();
        await using (var gaps = new NpgsqlCommand(
            $"""
            select seq_id + 1, next - 1 from (
                select seq_id, lead(seq_id) over (order by seq_id) as next from (select 0::bigint as seq_id union all select seq_id from {events} where seq_id <= $1) s
            ) g where next > seq_id + 1
            """, reader, snapshot) { Parameters = { new() { Value = last } } })
        await using (var rows = await gaps.ExecuteReaderAsync(ct))
        {
            while (await rows.ReadAsync(ct)) unseen.Add((rows.GetInt64(0), rows.GetInt64(1)));
        }
        var exported = (string)(await ScalarAsync(reader, snapshot, "select pg_export_snapshot()", ct))!;

        var written = await Task.WhenAll(Enumerable.Range(0, Writers).Select(half => WriteHalfAsync(half, exported, shadow, last, ct)));
        await snapshot.CommitAsync(ct);
        var revisions = written.Sum();
        progress?.Report(revisions);
        var phases = new Dictionary<string, TimeSpan>();
        var phaseStart = TimeSpan.Zero;
        void Ended(string phase)
        {
            var now = clock.Elapsed;
            (phases[phase], phaseStart) = (now - phaseStart, now);
        }
        Ended("rows");
        await ResolvedClaimsSweep.WriteAsync(db, shadow, claimsShadow, ct);
        Ended("claims");

        await BuildIndexesAsync([(live, shadow), (liveClaims, claimsShadow)], ct);
        Ended("indexes");
        await ExecuteAsync($"vacuum (analyze) {shadow}", ct);
        await ExecuteAsync($"vacuum (analyze) {claimsShadow}", ct);
        Ended("vacuum");
        var caughtUp = await SwapAsync([(live, shadow, name), (liveClaims, claimsShadow, claimsName)], last, unseen, ct);
        Ended("swap");
        return new Report(last, revisions, caughtUp, clock.Elapsed, phases);
    }

    /// <summary>The revision rows of half the statement streams, in one statement, on the shared snapshot.</summary>
    private async Task<long> WriteHalfAsync(int half, string exported, string shadow, long last, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, ct);
        await ScalarAsync(connection, tx, $"set transaction snapshot '{exported}'", ct);
        // Room to sort half the events with their JSON in memory: ~350 MB for half of 1,000,000 (spilling
        // to disk cost 8% more), so up to ~1 GB for both writers; a larger log spills, slower but it works.
        await ScalarAsync(connection, tx, "set local work_mem = '512MB'", ct);
        await using var insert = rows.Insert(shadow, "seq_id <= @last and (hashtext(stream_id) & 1) = @half", connection, tx);
        insert.Parameters.AddWithValue("last", last);
        insert.Parameters.AddWithValue("half", half);
        var revisions = await insert.ExecuteNonQueryAsync(ct);
        await tx.CommitAsync(ct);
        return revisions;
    }

    /// <summary>
    /// Each live table's own indexes and primary key (as the schema migration made them), on its new table under
    /// temporary names.
    /// </summary>
    private async Task BuildIndexesAsync(IReadOnlyList<(string Live, string Shadow)> tables, CancellationToken ct)
    {
        var statements = new List<string>();
        foreach (var (live, shadow) in tables)
        {
            await using (var command = db.CreateCommand(
                """
                select format('alter table %s add constraint %I %s', $2, conname || '_rebuild', pg_get_constraintdef(oid))
                from pg_constraint where conrelid = $1::regclass and contype = 'p'
                union all
                select regexp_replace(pg_get_indexdef(i.indexrelid), '^CREATE (UNIQUE )?INDEX (\S+) ON \S+ ', 'CREATE \1INDEX \2_rebuild ON ' || $2 || ' ')
                from pg_index i
                where i.indrelid = $1::regclass and not i.indisprimary
                """))
            {
                command.Parameters.Add(new NpgsqlParameter { Value = live });
                command.Parameters.Add(new NpgsqlParameter { Value = shadow });
                await using var rows = await command.ExecuteReaderAsync(ct);
                while (await rows.ReadAsync(ct)) statements.Add(rows.GetString(0));
            }
        }
        // Two at a time, the slowest (the full-text GIN index) first: PostgreSQL builds each on one core.
        var queue = new Queue<string>(statements.OrderByDescending(s => s.Contains("USING gin", StringComparison.OrdinalIgnoreCase)));
        await Task.WhenAll(Enumerable.Range(0, Writers).Select(async _ =>
        {
            await using var connection = await db.OpenConnectionAsync(ct);
            await ScalarAsync(connection, null, "set maintenance_work_mem = '512MB'", ct);
            while (true)
            {
                string next;
                lock (queue)
                {
                    if (!queue.TryDequeue(out next!)) return;
                }
                await ScalarAsync(connection, null, next, ct);
            }
        }));
    }

    /// <summary>
    /// Under a lock that stops appends (not reads): the events the snapshot did not see are applied to the new
    /// tables by the projection itself, then each new table takes the old one's place and names.
    /// </summary>
    private async Task<long> SwapAsync(
        IReadOnlyList<(string Live, string Shadow, string Name)> tables, long last, List<(long From, long To)> unseen, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        foreach (var (live, _, _) in tables) await ScalarAsync(connection, tx, $"lock table {live} in exclusive mode", ct);

        var late = new List<IEvent>();
        await using (var session = store.LightweightSession(Marten.Services.SessionOptions.ForTransaction(tx)))
        {
            late.AddRange(await session.Events.QueryAllRawEvents().Where(e => e.Sequence > last).ToListAsync(ct));
            foreach (var (from, to) in unseen)
            {
                late.AddRange(await session.Events.QueryAllRawEvents().Where(e => e.Sequence >= from && e.Sequence <= to).ToListAsync(ct));
            }
            late.Sort((a, b) => a.Sequence.CompareTo(b.Sequence));
            await new StatementRevisionsProjection(tables[0].Shadow, tables[1].Shadow).ApplyAsync(session, late, ct);
            await session.SaveChangesAsync(ct);
        }

        var renames = new List<string>();
        foreach (var (live, shadow, name) in tables)
        {
            renames.AddRange([$"drop table {live}", $"alter table {shadow} rename to {name}"]);
            await using (var command = new NpgsqlCommand(
                """
                select format('alter table %s rename constraint %I to %I', $1, conname, left(conname, -length('_rebuild')))
                from pg_constraint where conrelid = $2::regclass and contype = 'p'
                union all
                select format('alter index %I.%I rename to %I', n.nspname, c.relname, left(c.relname, -length('_rebuild')))
                from pg_index i join pg_class c on c.oid = i.indexrelid join pg_namespace n on n.oid = c.relnamespace
                where i.indrelid = $2::regclass and not i.indisprimary
                """, connection, tx))
            {
                command.Parameters.Add(new NpgsqlParameter { Value = live });
                command.Parameters.Add(new NpgsqlParameter { Value = shadow });
                await using var rows = await command.ExecuteReaderAsync(ct);
                var constraintAndIndexes = new List<string>();
                while (await rows.ReadAsync(ct)) constraintAndIndexes.Add(rows.GetString(0));
                renames.AddRange(constraintAndIndexes);
            }
        }
        foreach (var sql in renames) await ScalarAsync(connection, tx, sql, ct);
        await tx.CommitAsync(ct);
        return late.Count;
    }

    private async Task ExecuteAsync(string sql, CancellationToken ct)
    {
        await using var command = db.CreateCommand(sql);
        await command.ExecuteNonQueryAsync(ct);
    }

    private static async Task<object?> ScalarAsync(NpgsqlConnection connection, NpgsqlTransaction? tx, string sql, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(sql, connection, tx);
        return await command.ExecuteScalarAsync(ct);
    }
}
