using System.Text.Json;
using JasperFx.Events;
using Marten;
using Marten.Events.Projections;
using PositionLedger.Infrastructure;
using PositionLedger.Statements;
using Weasel.Postgresql.Tables;

namespace PositionLedger.Revisions;

/// <summary>
/// The bitemporal table: one row per revision of a statement, valid in record time from the event that
/// made it (recorded_from) until the event that replaced or retracted it (recorded_to). An as-of query
/// is then an index walk per (party, issue) instead of a replay.
/// <para>
/// Set-based: a page of events (one append, an import batch, or a page of a rebuild) becomes two SQL
/// statements, one closing the revisions the page replaces and one inserting the new ones, instead of a
/// statement per event. Inline, so a write is visible to the next read; rebuildable, because the table is
/// emptied on teardown.
/// </para>
/// <para>After each transaction's rows, the claims they can resolve are resolved again (<see cref="ResolvedClaims"/>).</para>
/// </summary>
public sealed class StatementRevisionsProjection(string table, string resolvedClaimsTable) : IProjection
{
    public const string TableName = "pl_statement_revisions";

    private static readonly BatchedSql GenericPlans = new("set local plan_cache_mode = force_generic_plan");

    private readonly ResolvedClaims.Statements _resolvedClaims = new(table, resolvedClaimsTable);

    private readonly BatchedSql _close = new(
        $"""
        update {table} r set recorded_to = u.recorded_to, recorded_to_seq = u.recorded_to_seq
        from unnest(?::uuid[], ?::timestamptz[], ?::bigint[]) as u(statement_id, recorded_to, recorded_to_seq)
        where r.statement_id = u.statement_id and r.recorded_to is null
        """);

    /// <summary>
    /// Inserts a page's rows in one statement, one array per column of <see cref="RevisionRows.Written"/>; a correction
    /// of a statement from an earlier page keeps that statement's first sequence.
    /// </summary>
    private readonly BatchedSql _insert = new(
        $"""
        insert into {table} ({RevisionRows.InsertColumns})
        select {string.Join(", ", RevisionRows.Written.Select(c => c switch
        {
            RevisionRows.Conditions or RevisionRows.Source or RevisionRows.Evidence => $"u.{c}::jsonb",
            RevisionRows.StatementSeq => $"coalesce(u.{c}, (select min(p.{c}) from {table} p where p.statement_id = u.statement_id))",
            _ => $"u.{c}",
        }))},
            to_tsvector('english', u.quote || ' ' || u.speaker)
        from unnest({string.Join(", ", RevisionRows.Written.Select(c => $"?::{ArrayTypes[c]}"))})
            as u({string.Join(", ", RevisionRows.Written)})
        """);

    /// <summary>The type of each column's array of values, as <see cref="QueueInsert"/> sends them.</summary>
    private static readonly Dictionary<string, string> ArrayTypes = new()
    {
        [RevisionRows.StatementId] = "uuid[]", [RevisionRows.Version] = "bigint[]", [RevisionRows.Party] = "text[]",
        [RevisionRows.Issue] = "text[]", [RevisionRows.Stance] = "text[]", [RevisionRows.Speaker] = "text[]",
        [RevisionRows.Quote] = "text[]", [RevisionRows.StatedAt] = "timestamptz[]", [RevisionRows.StatedOnDate] = "boolean[]",
        [RevisionRows.Conditions] = "text[]", [RevisionRows.Source] = "text[]", [RevisionRows.ClaimedBy] = "text[]",
        [RevisionRows.ClaimedBySpeaker] = "text[]", [RevisionRows.StatementSeq] = "bigint[]", [RevisionRows.RecordedFrom] = "timestamptz[]",
        [RevisionRows.RecordedFromSeq] = "bigint[]", [RevisionRows.RecordedTo] = "timestamptz[]", [RevisionRows.RecordedToSeq] = "bigint[]",
        [RevisionRows.EvidenceKind] = "text[]", [RevisionRows.Evidence] = "text[]",
    };

    public static Table DefineTable(string schema)
    {
        var table = new Table($"{schema}.{TableName}");
        table.AddColumn<Guid>(RevisionRows.StatementId).AsPrimaryKey();
        table.AddColumn<long>(RevisionRows.Version).AsPrimaryKey();
        table.AddColumn<string>(RevisionRows.Party).NotNull();
        table.AddColumn<string>(RevisionRows.Issue).NotNull();
        table.AddColumn<string>(RevisionRows.Stance).NotNull();
        table.AddColumn<string>(RevisionRows.Speaker).NotNull();
        table.AddColumn<string>(RevisionRows.Quote).NotNull();
        table.AddColumn<DateTimeOffset>(RevisionRows.StatedAt).NotNull();
        table.AddColumn<bool>(RevisionRows.StatedOnDate).NotNull();
        table.AddColumn(RevisionRows.Conditions, "jsonb").NotNull();
        table.AddColumn(RevisionRows.Source, "jsonb").NotNull();
        table.AddColumn<string>(RevisionRows.ClaimedBy);
        table.AddColumn<string>(RevisionRows.ClaimedBySpeaker);
        table.AddColumn<long>(RevisionRows.StatementSeq).NotNull();
        table.AddColumn<DateTimeOffset>(RevisionRows.RecordedFrom).NotNull();
        table.AddColumn<long>(RevisionRows.RecordedFromSeq).NotNull();
        table.AddColumn<DateTimeOffset>(RevisionRows.RecordedTo);
        table.AddColumn<long>(RevisionRows.RecordedToSeq);
        // Nullable so that Weasel can add it to a table made by an earlier version; a rebuild fills it.
        table.AddColumn<string>(RevisionRows.EvidenceKind).NotNull().DefaultValueByString(Sources.EvidenceKinds.Unanchored);
        table.AddColumn(RevisionRows.Evidence, "jsonb");
        table.AddColumn(RevisionRows.Search, "tsvector");

        // Covering: the record-time test and the row's key are read from the index (an index-only scan), so a
        // walk past revisions not yet known at knownAt touches no table pages; only the one answer is fetched.
        table.Indexes.Add(new IndexDefinition("ix_pl_revisions_basis")
        {
            Columns = ["party", "issue", "stated_at", "statement_seq"],
            // The evidence filter is applied inside the walk, still from the index alone; the analysis reads (flips,
            // convergence, claims' resolvers) take the stance from it too, so their range walks fetch no table rows.
            IncludeColumns = ["recorded_from", "recorded_to", "statement_id", "version", "evidence_kind", "stance", "stated_on_date"],
            Predicate = "claimed_by is null",
        });
        table.Indexes.Add(new IndexDefinition("ix_pl_revisions_claims")
        {
            Columns = ["party", "issue", "stated_at"],
            IncludeColumns = ["recorded_from", "recorded_to", "statement_id", "version", "evidence_kind"],
            Predicate = "claimed_by is not null",
        });
        table.Indexes.Add(new IndexDefinition("ix_pl_revisions_timeline") { Columns = ["stated_at", "statement_seq"] });
        table.Indexes.Add(new IndexDefinition("ix_pl_revisions_search") { Columns = ["search"], Method = IndexMethod.gin });
        return table;
    }

    public Task ApplyAsync(IDocumentOperations operations, IReadOnlyList<IEvent> events, CancellationToken cancellation)
    {
        // Applied one record time after another (events of one transaction may be stamped apart; a rebuild's page spans
        // many transactions), so that a claim's resolution changes at the record time of the revision that changed it,
        // as the rebuild's sweep dates it.
        // Both statements are prepared, but PostgreSQL would still plan them anew on every call (a plan for
        // the actual array sizes looks cheaper to it than the generic one): 0.24 ms per append, more than the
        // insert itself costs. The generic plan is the same plan for any page size.
        if (events.Any(e => e.Data is PositionStated or StatementCorrected or StatementRetracted)) GenericPlans.QueueIn(operations);
        for (var start = 0; start < events.Count;)
        {
            var end = start + 1;
            while (end < events.Count && events[end].Timestamp == events[start].Timestamp) end++;
            ApplyRun(operations, events, start, end);
            start = end;
        }
        return Task.CompletedTask;
    }

    private void ApplyRun(IDocumentOperations operations, IReadOnlyList<IEvent> events, int start, int end)
    {
        var page = new Page();
        for (var i = start; i < end; i++)
        {
            var e = events[i];
            switch (e.Data)
            {
                case PositionStated s:
                    page.Open(s.StatementId, e, s.Content, statementSeq: e.Sequence);
                    break;
                case StatementCorrected c:
                    var first = page.Close(c.StatementId, e);
                    page.Open(c.StatementId, e, c.Corrected, statementSeq: first);
                    break;
                case StatementRetracted r:
                    page.Close(r.StatementId, e);
                    break;
            }
        }

        if (page.Closings.Count == 0 && page.Rows.Count == 0) return;

        // Closings first: they only touch revisions from earlier pages, never the ones inserted below.
        if (page.Closings.Count > 0)
        {
            _close.QueueIn(operations,
                page.Closings.Select(c => c.StatementId).ToArray(),
                page.Closings.Select(c => c.At).ToArray(),
                page.Closings.Select(c => c.Sequence).ToArray());
        }
        if (page.Rows.Count > 0) QueueInsert(operations, page.Rows);
        var touched = page.Rows.Select(r => r.StatementId).Concat(page.Closings.Select(c => c.StatementId)).Distinct().ToArray();
        _resolvedClaims.QueueIn(operations, touched, events[start].Timestamp.ToUniversalTime());
    }

    /// <summary>One array per column, in the order of <see cref="RevisionRows.Written"/>.</summary>
    private void QueueInsert(IDocumentOperations operations, IReadOnlyList<Row> rows) =>
        _insert.QueueIn(operations,
            rows.Select(r => r.StatementId).ToArray(),
            rows.Select(r => r.Version).ToArray(),
            rows.Select(r => r.Content.Party).ToArray(),
            rows.Select(r => r.Content.Issue).ToArray(),
            rows.Select(r => r.Content.Stance.Word()).ToArray(),
            rows.Select(r => r.Content.Speaker).ToArray(),
            rows.Select(r => r.Content.Quote).ToArray(),
            rows.Select(r => r.Content.StatedAt.ToUniversalTime()).ToArray(),
            rows.Select(r => r.Content.StatedOnDate).ToArray(),
            rows.Select(r => JsonSerializer.Serialize(r.Content.Conditions)).ToArray(),
            rows.Select(r => JsonSerializer.Serialize(r.Content.Source, JsonSerializerOptions.Web)).ToArray(),
            rows.Select(r => r.Content.ClaimedBy?.Party).ToArray(),
            rows.Select(r => r.Content.ClaimedBy?.Speaker).ToArray(),
            rows.Select(r => r.StatementSeq).ToArray(),
            rows.Select(r => r.RecordedFrom).ToArray(),
            rows.Select(r => r.RecordedFromSeq).ToArray(),
            rows.Select(r => r.RecordedTo).ToArray(),
            rows.Select(r => r.RecordedToSeq).ToArray(),
            rows.Select(r => r.Content.EvidenceKind).ToArray(),
            rows.Select(r => r.Content.Evidence is null
                    ? null
                    : JsonSerializer.Serialize(r.Content.Evidence, JsonSerializerOptions.Web))
                .ToArray());

    /// <summary>One revision: valid in record time from recordedFrom until (when closed) recordedTo.</summary>
    public sealed class Row(
        Guid statementId, long version, StatementContent content, long? statementSeq, DateTimeOffset recordedFrom, long recordedFromSeq)
    {
        public Guid StatementId { get; } = statementId;
        public long Version { get; } = version;
        public StatementContent Content { get; } = content;
        public long? StatementSeq { get; } = statementSeq;
        public DateTimeOffset RecordedFrom { get; } = recordedFrom;
        public long RecordedFromSeq { get; } = recordedFromSeq;
        public DateTimeOffset? RecordedTo { get; set; }
        public long? RecordedToSeq { get; set; }
    }

    public sealed record Closing(Guid StatementId, DateTimeOffset At, long Sequence);

    /// <summary>The rows a page of events inserts and the earlier rows it closes, in event order.</summary>
    public sealed class Page
    {
        private readonly Dictionary<Guid, Row> _open = [];

        public List<Row> Rows { get; } = [];

        public List<Closing> Closings { get; } = [];

        public void Open(Guid statementId, IEvent e, StatementContent content, long? statementSeq)
        {
            var row = new Row(statementId, e.Version, content, statementSeq, e.Timestamp.ToUniversalTime(), e.Sequence);
            Rows.Add(row);
            _open[statementId] = row;
        }

        /// <summary>Closes the statement's open revision; returns its first sequence when this page knows it.</summary>
        public long? Close(Guid statementId, IEvent e)
        {
            if (_open.Remove(statementId, out var row))
            {
                row.RecordedTo = e.Timestamp.ToUniversalTime();
                row.RecordedToSeq = e.Sequence;
                return row.StatementSeq;
            }
            Closings.Add(new Closing(statementId, e.Timestamp.ToUniversalTime(), e.Sequence));
            return null;
        }
    }
}
