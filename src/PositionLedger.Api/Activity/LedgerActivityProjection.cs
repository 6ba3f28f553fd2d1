using JasperFx.Events;
using Marten;
using Marten.Events.Projections;
using PositionLedger.Infrastructure;
using PositionLedger.Statements;
using Weasel.Postgresql.Tables;

namespace PositionLedger.Activity;

public sealed record ActivityTable(string QualifiedName);

/// <summary>
/// What the newsroom recorded each day (record time): statements, claims, corrections, retractions.
/// Asynchronous: it runs in the async daemon, on exactly one node when several share the database
/// (Wolverine's leader election assigns it), and catches up after a restart or a failover. The counts
/// move in the same transaction as the daemon's progress, so a page is never counted twice.
/// <para>
/// Set-based: a page of events becomes one upsert of the page's counts per day, not one per event (the
/// day's row was otherwise rewritten thousands of times a page during an import).
/// </para>
/// </summary>
public sealed class LedgerActivityProjection(string table) : IProjection
{
    public const string ProjectionName = "LedgerActivity";
    public const string TableName = "pl_ledger_activity";

    private static readonly string[] Columns = ["stated", "claims", "corrected", "retracted"];

    private readonly BatchedSql _upsert = new(
        $"""
        insert into {table} (day, {string.Join(", ", Columns)})
        select * from unnest(?::date[], ?::bigint[], ?::bigint[], ?::bigint[], ?::bigint[])
        on conflict (day) do update set {string.Join(", ", Columns.Select(c => $"{c} = {table}.{c} + excluded.{c}"))}
        """);

    public static Table DefineTable(string schema)
    {
        var table = new Table($"{schema}.{TableName}");
        table.AddColumn<DateOnly>("day").AsPrimaryKey();
        foreach (var column in Columns) table.AddColumn<long>(column).NotNull().DefaultValue(0);
        return table;
    }

    public Task ApplyAsync(IDocumentOperations operations, IReadOnlyList<IEvent> events, CancellationToken cancellation)
    {
        var days = new SortedDictionary<DateOnly, long[]>();
        foreach (var e in events)
        {
            var column = e.Data switch
            {
                PositionStated s => s.Content.IsClaim ? 1 : 0,
                StatementCorrected => 2,
                StatementRetracted => 3,
                _ => -1,
            };
            if (column < 0) continue;
            var day = DateOnly.FromDateTime(e.Timestamp.UtcDateTime);
            if (!days.TryGetValue(day, out var counts)) days[day] = counts = new long[Columns.Length];
            counts[column]++;
        }
        if (days.Count == 0) return Task.CompletedTask;

        var counted = days.Values.ToArray();
        _upsert.QueueIn(operations,
            days.Keys.ToArray(),
            counted.Select(c => c[0]).ToArray(),
            counted.Select(c => c[1]).ToArray(),
            counted.Select(c => c[2]).ToArray(),
            counted.Select(c => c[3]).ToArray());
        return Task.CompletedTask;
    }
}
