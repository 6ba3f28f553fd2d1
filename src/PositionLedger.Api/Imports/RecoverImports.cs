namespace PositionLedger.Imports;

/// <summary>At start-up, in the background: finish any import that died between its two commits.</summary>
public sealed class RecoverImports(BulkAppend append, ILogger<RecoverImports> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            if (await append.RecoverAsync(stoppingToken) is > 0 and var recovered)
            {
                logger.LogWarning("Wrote the revisions of {Batches} import batches that had stopped between their two commits", recovered);
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The next import runs the same recovery first.
            logger.LogError(e, "Could not recover interrupted imports at start-up");
        }
    }
}
