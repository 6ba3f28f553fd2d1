using Npgsql;

namespace PositionLedger.Revisions;

/// <summary>
/// At start-up, in the background: a ledger written before the resolved claims existed has claims but no resolution
/// rows, so claims made would list none of them; a rebuild of the revision table writes both and swaps them in.
/// </summary>
public sealed class BackfillResolvedClaims(NpgsqlDataSource db, RevisionTable table, RevisionsRebuild rebuild,
    ILogger<BackfillResolvedClaims> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await using var missing = db.CreateCommand(
                $"""
                select not exists (select 1 from {table.ResolvedClaims})
                   and exists (select 1 from {table.QualifiedName} where claimed_by is not null)
                """);
            if (!(bool)(await missing.ExecuteScalarAsync(stoppingToken))!) return;
            logger.LogWarning("The ledger has claims but no resolved claims: rebuilding the revision table to write them");
            var report = await rebuild.RunAsync(null, stoppingToken);
            logger.LogWarning("Rebuilt the revision table and the resolved claims in {Seconds:N1} s", report.Elapsed.TotalSeconds);
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UndefinedTable)
        {
            // No schema yet: a new ledger, nothing to fill.
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Another node may be rebuilding; `rebuild-revisions` does it by hand.
            logger.LogError(e, "Could not write the resolved claims at start-up");
        }
    }
}
