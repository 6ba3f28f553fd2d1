using Marten;
using Npgsql;
using PositionLedger.Statements;

namespace PositionLedger.Revisions;

/// <summary>
/// The revision rows of stored statement events, written by PostgreSQL from the events' JSON: for the bulk
/// paths (imports, rebuilds), where the events are already in the database and sending them back and forth
/// through the app would cost more than the rows. Each PositionStated or StatementCorrected becomes the same
/// row <see cref="StatementRevisionsProjection"/> writes for appends, valid until the next event of its
/// statement (a correction or a retraction), if any. The filter must take whole streams. Rows already
/// there are left as they are (a recovery after a rebuild that already wrote them, or a swap that caught
/// an import's events up before the import's own second transaction).
/// The rebuild tests compare the two row by row, every column.
/// <para>
/// One pass over the events: the window over each stream carries the events' JSON through its sort (about
/// 650 bytes an event), so callers give the statement the work_mem for it. Sorting only the keys and then
/// joining back to the log by sequence read every event twice: about a third slower for half of 1,000,000
/// events alone in psql, less with the rebuild's two writers.
/// </para>
/// </summary>
public sealed class StoredEventRevisions(IDocumentStore store)
{
    private readonly string _events = $"{store.Options.Events.DatabaseSchemaName}.mt_events";
    private readonly string[] _types =
        [TypeName<PositionStated>(store), TypeName<StatementCorrected>(store), TypeName<StatementRetracted>(store)];

    /// <summary>
    /// A command inserting into <paramref name="target"/> the rows of the events matching <paramref name="filter"/>
    /// (SQL on mt_events, with its own parameters).
    /// </summary>
    /// <param name="returning">Whether the command returns each written row's statement_id and recorded_from.</param>
    public NpgsqlCommand Insert(string target, string filter, NpgsqlConnection connection, NpgsqlTransaction tx, bool returning = false)
    {
        var command = new NpgsqlCommand(
            $"""
            with revisions as (
                select e.type, (e.data ->> 'statementId')::uuid as statement_id, e.version,
                       case when e.type = @corrected then e.data -> 'corrected' else e.data -> 'content' end as c,
                       first_value(e.seq_id) over w as first_seq, e.timestamp, e.seq_id,
                       lead(e.timestamp) over w as next_at, lead(e.seq_id) over w as next_seq
                from {_events} e
                where e.type = any(@types) and ({filter})
                window w as (partition by e.stream_id order by e.version))
            insert into {target} ({RevisionRows.InsertColumns})
            -- The values in the order of RevisionRows.Written, then the search vector.
            select statement_id, version, c ->> 'party', c ->> 'issue', lower(c ->> 'stance'), c ->> 'speaker', c ->> 'quote',
                   (c ->> 'statedAt')::timestamptz, (c ->> 'statedOnDate')::boolean,
                   coalesce(c -> 'conditions', '[]'::jsonb), c -> 'source', c -> 'claimedBy' ->> 'party', c -> 'claimedBy' ->> 'speaker',
                   first_seq, timestamp, seq_id, next_at, next_seq,
                   coalesce(c -> 'evidence' ->> 'kind', 'unanchored'), nullif(c -> 'evidence', 'null'::jsonb),
                   to_tsvector('english', (c ->> 'quote') || ' ' || (c ->> 'speaker'))
            from revisions
            where type <> @retracted
            on conflict do nothing
            {(returning ? "returning statement_id, recorded_from" : "")}
            """, connection, tx);
        command.Parameters.AddWithValue("types", _types);
        command.Parameters.AddWithValue("corrected", _types[1]);
        command.Parameters.AddWithValue("retracted", _types[2]);
        return command;
    }

    private static string TypeName<T>(IDocumentStore store) => ((DocumentStore)store).Events.EventMappingFor(typeof(T)).EventTypeName;
}
