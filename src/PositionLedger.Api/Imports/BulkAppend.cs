using PositionLedger.Infrastructure;
using JasperFx.Events;
using Marten;
using Npgsql;
using PositionLedger.Revisions;
using PositionLedger.Statements;
using Weasel.Postgresql.Tables;

namespace PositionLedger.Imports;

/// <summary>
/// Appends a batch of new statement streams with Marten's bulk appender (COPY into mt_streams and
/// mt_events, one transaction), then has PostgreSQL write their revision rows from them in a second transaction.
/// <para>
/// The bulk appender commits on its own connection and applies no inline projection, so between the two
/// commits the events exist without their revisions. That gap is covered by a pending row per batch: it is
/// written before the append, held by an advisory lock while the import runs, and deleted in the same
/// transaction as the revision rows. A pending row nobody holds belongs to an import that died in the gap:
/// <see cref="RecoverAsync"/> (run at start-up, and before every import) writes the revisions it lacks.
/// The batch is acknowledged only after the second commit.
/// </para>
/// </summary>
public sealed class BulkAppend(IDocumentStore store, NpgsqlDataSource db, RevisionTable revisions, StoredEventRevisions rows,
    BulkAppend.PendingTable pending, EventLog.AppendNotifier notifier)
{
    public sealed record PendingTable(string QualifiedName);

    public const string TableName = "pl_pending_imports";

    /// <summary>The advisory-lock class of pending batches (the object id is the row's lock_id).</summary>
    public const int LockClass = 0x504c_4931;

    public static Table DefineTable(string schema)
    {
        var table = new Table($"{schema}.{TableName}");
        table.AddColumn<Guid>("batch").AsPrimaryKey();
        table.AddColumn<int>("lock_id").NotNull();
        table.AddColumn<DateTimeOffset>("started").NotNull();
        table.AddColumn("streams", "text[]").NotNull();
        return table;
    }

    /// <summary>Appends every stream (each new, one event or more) and its revisions; returns once both are committed.</summary>
    public async Task AppendAsync(IReadOnlyList<StreamAction> streams, CancellationToken ct)
    {
        if (streams.Count == 0) return;
        var batch = Guid.CreateVersion7();
        var lockId = Random.Shared.Next();
        await using var connection = await db.OpenConnectionAsync(ct);
        await ExecuteAsync(connection, "select pg_advisory_lock($1, $2)", ct, LockClass, lockId);
        try
        {
            await ExecuteAsync(connection,
                $"insert into {pending.QualifiedName} (batch, lock_id, started, streams) values ($1, $2, now(), $3)", ct,
                batch, lockId, streams.Select(s => s.Key!).ToArray());
            // If this fails, whether its transaction committed may be unknown: the pending row stays, and
            // recovery writes whatever revisions the batch's streams turn out to need (possibly none).
            await store.BulkInsertEventsAsync(streams, batchSize: streams.Sum(s => s.Events.Count), cancellation: ct);
            foreach (var events in streams.SelectMany(s => s.Events).GroupBy(e => e.EventTypeName))
                LedgerMetrics.Appended(events.Key, events.Count());
            // Committed: from here on the request's cancellation no longer stops it.
            await using var tx = await connection.BeginTransactionAsync(CancellationToken.None);
            // The streams are new, so their events (numbered by the bulk append) are all of them.
            await ProjectAsync(tx, "seq_id = any(@sequences)", "sequences",
                streams.SelectMany(s => s.Events).Select(e => e.Sequence).ToArray(), CancellationToken.None);
            await ExecuteAsync(connection, $"delete from {pending.QualifiedName} where batch = $1", CancellationToken.None, batch);
            await tx.CommitAsync(CancellationToken.None);
            // The bulk appender's session sent no wake-up of its own.
            notifier.Wake();
        }
        finally
        {
            if (connection.State == System.Data.ConnectionState.Open)
                await ExecuteAsync(connection, "select pg_advisory_unlock($1, $2)", CancellationToken.None, LockClass, lockId);
        }
    }

    /// <summary>Writes the revisions of every batch whose import died between its two commits; returns how many.</summary>
    public async Task<int> RecoverAsync(CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var orphans = new List<(Guid Batch, int LockId, string[] Streams)>();
        await using (var command = new NpgsqlCommand(
            $"select batch, lock_id, streams from {pending.QualifiedName} order by started", connection))
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct)) orphans.Add((reader.GetGuid(0), reader.GetInt32(1), reader.GetFieldValue<string[]>(2)));
        }
        var recovered = 0;
        foreach (var (batch, lockId, streams) in orphans)
        {
            // Held means its import is still running (or another node is recovering it).
            await using (var take = new NpgsqlCommand("select pg_try_advisory_lock($1, $2)", connection)
            {
                Parameters = { new() { Value = LockClass }, new() { Value = lockId } },
            })
            {
                if (!(bool)(await take.ExecuteScalarAsync(ct))!) continue;
            }
            try
            {
                await using var tx = await connection.BeginTransactionAsync(ct);
                // Only a row still there is an orphan: its import may have finished since it was read.
                await using (var still = new NpgsqlCommand($"delete from {pending.QualifiedName} where batch = $1", connection, tx)
                {
                    Parameters = { new() { Value = batch } },
                })
                {
                    if (await still.ExecuteNonQueryAsync(ct) == 0) continue;
                }
                await ProjectAsync(tx, "stream_id = any(@streams)", "streams", streams, ct);
                await tx.CommitAsync(ct);
                recovered++;
            }
            finally
            {
                await ExecuteAsync(connection, "select pg_advisory_unlock($1, $2)", CancellationToken.None, LockClass, lockId);
            }
        }
        return recovered;
    }

    /// <summary>The revision rows of the events the filter takes (whole streams), written by PostgreSQL from the stored
    /// events, in the transaction given.</summary>
    private async Task ProjectAsync(NpgsqlTransaction tx, string filter, string parameter, object value, CancellationToken ct)
    {
        // Room to sort the largest batch's events with their JSON in memory (100,000 lines, ~65 MB).
        await ExecuteAsync(tx.Connection!, "set local work_mem = '100MB'", ct);
        // The rows written, and so the claims they resolve (or add), dated as the batch's events are: the bulk append's
        // COPY leaves each event the time of its transaction, one record time for the whole batch. Rows a recovery finds
        // already there were resolved in the transaction that wrote them.
        var statements = new HashSet<Guid>();
        var at = DateTimeOffset.MaxValue;
        await using (var insert = rows.Insert(revisions.QualifiedName, filter, tx.Connection!, tx, returning: true))
        {
            insert.Parameters.AddWithValue(parameter, value);
            await using var written = await insert.ExecuteReaderAsync(ct);
            while (await written.ReadAsync(ct))
            {
                statements.Add(written.GetGuid(0));
                var recorded = written.GetFieldValue<DateTimeOffset>(1);
                if (recorded < at) at = recorded;
            }
        }
        if (statements.Count > 0) await _resolvedClaims.RunAsync(tx, [.. statements], at, ct);
    }

    private readonly ResolvedClaims.Statements _resolvedClaims = new(revisions.QualifiedName, revisions.ResolvedClaims);

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken ct, params object[] values)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var value in values) command.Parameters.Add(new NpgsqlParameter { Value = value });
        await command.ExecuteNonQueryAsync(ct);
    }
}
