using Marten;
using PositionLedger.Infrastructure;

namespace PositionLedger.Imports;

public static class Configuration
{
    public static IServiceCollection AddImports(this IServiceCollection services, string schema) =>
        services
            .AddSingleton(new BulkAppend.PendingTable($"{schema}.{BulkAppend.TableName}"))
            .AddSingleton<BulkAppend>()
            .AddHostedService<RecoverImports>()
            // After the statement's own adjustments (AddStatements comes first): an imported line is a statement with an id.
            .Configure<OpenApiContributions>(openApi => openApi.Schemas.Add((_, schemas) =>
            {
                if (schemas.TryGetValue(nameof(Statements.StateStatement), out var found)
                    && found is Microsoft.OpenApi.OpenApiSchema statement)
                    schemas[ImportBodyAttribute.ItemSchema] = ImportBodyAttribute.Item(statement);
            }));

    public static StoreOptions AddImports(this StoreOptions options)
    {
        options.Storage.ExtendedSchemaObjects.Add(BulkAppend.DefineTable(options.DatabaseSchemaName));
        return options;
    }

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
}
