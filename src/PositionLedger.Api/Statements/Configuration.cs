using Marten;

namespace PositionLedger.Statements;

public static class Configuration
{
    public static IServiceCollection AddStatements(this IServiceCollection services, string schema) =>
        services
            .AddSingleton<StateStatement.Validator>()
            .AddSingleton<StatementReferences>()
            .AddSingleton(new BulkAppend.PendingTable($"{schema}.{BulkAppend.TableName}"))
            .AddSingleton<BulkAppend>()
            .AddHostedService<RecoverImports>();

    /// <summary>Archives are larger than any single write: the import's own body limit (256 MiB unless set).</summary>
    public static IApplicationBuilder UseImportBodyLimit(this IApplicationBuilder app, IConfiguration configuration)
    {
        var importLimit = configuration.GetValue("PositionLedger:MaxImportBytes", 256L * 1024 * 1024);
        return app.Use((context, next) =>
        {
            if (context.Request.Path.StartsWithSegments(ImportStatementsEndpoint.Route)
                && context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
                size.MaxRequestBodySize = importLimit;
            return next(context);
        });
    }

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
