using Marten;

namespace PositionLedger.Statements;

public static class Configuration
{
    /// <summary>
    /// A statement's stream is a handful of events, so the aggregate is folded live when needed
    /// (GET, corrections) rather than stored: appends and imports write one row less per statement.
    /// </summary>
    public static StoreOptions AddStatements(this StoreOptions options)
    {
        options.Projections.LiveStreamAggregation<Statement>();
        options.Storage.ExtendedSchemaObjects.Add(BulkAppend.DefineTable(options.DatabaseSchemaName));
        return options;
    }
}

/// <summary>At start-up, in the background: finish any import that died between its two commits.</summary>
public sealed class RecoverImports(BulkAppend append, ILogger<RecoverImports> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            if (await append.RecoverAsync(stoppingToken) is > 0 and var recovered)
                logger.LogWarning("Wrote the revisions of {Batches} import batches that had stopped between their two commits", recovered);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The next import runs the same recovery first.
            logger.LogError(e, "Could not recover interrupted imports at start-up");
        }
    }
}
