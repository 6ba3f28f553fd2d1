using System.Globalization;
using System.Text.Json.Serialization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Scalar.AspNetCore;
using JasperFx;
using JasperFx.Events;
using Marten;
using Npgsql;
using PositionLedger.Activity;
using PositionLedger.EventLog;
using PositionLedger.Infrastructure;
using PositionLedger.Issues;
using PositionLedger.Parties;
using PositionLedger.Stances;
using PositionLedger.Statements;
using Weasel.Core;
using Wolverine;
using Wolverine.Http;
using Wolverine.Marten;

namespace PositionLedger;

/// <summary>The whole app's wiring, shared by the command line and the tests' in-process host.</summary>
public static class PositionLedgerApp
{
    public const string WritesPolicy = "writes";

    private static bool IsWrite(HttpChain chain) => chain.HttpMethods.Any(m => m != HttpMethods.Get && m != HttpMethods.Head);

    public static WebApplication Build(string[] args)
    {
        // appsettings.json and wwwroot live beside the binaries, wherever the app is started from.
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        var connectionString = builder.Configuration.GetConnectionString("PositionLedger")
            ?? throw new InvalidOperationException(
                "No database configured: set ConnectionStrings__PositionLedger, or start the app with deploy/run.sh, which starts a local PostgreSQL.");
        var schema = builder.Configuration["PositionLedger:Schema"] ?? "positionledger";
        // "multi": several nodes share the database; Wolverine's leader election puts each async projection
        // on exactly one live node and moves it when that node dies. Otherwise one node runs them all.
        var multiNode = string.Equals(builder.Configuration["PositionLedger:Nodes"], "multi", StringComparison.OrdinalIgnoreCase);

        var npgsql = new NpgsqlDataSourceBuilder(connectionString);
        // The same few queries run all day (stances, appends): let Npgsql prepare them on the server once
        // they repeat, so PostgreSQL stops planning them on every call. A connection string may override it.
        if (npgsql.ConnectionStringBuilder.MaxAutoPrepare == 0) npgsql.ConnectionStringBuilder.MaxAutoPrepare = 64;
        var dataSource = npgsql.Build();
        // Marten's own pool. Its async daemon joins each page of events to mt_streams, and PostgreSQL's default
        // costs planned that as a parallel scan of every stream (docs/benchmarks.md, B6); what else Marten runs
        // here reads rows by key. The app's own SQL (search, timelines, imports, rebuilds) keeps the server's
        // settings, where parallel workers help a search for a common word. Startup options override the
        // server's; prepended, so that the connection string's own Options (or PGOPTIONS) still win.
        var givenOptions = npgsql.ConnectionStringBuilder.Options ?? Environment.GetEnvironmentVariable("PGOPTIONS");
        npgsql.ConnectionStringBuilder.Options = $"-c random_page_cost=1.1 -c max_parallel_workers_per_gather=0 {givenOptions}".Trim();
        var martenDataSource = npgsql.Build();
        builder.Services.AddSingleton(dataSource);
        // Made by a factory, so that the container disposes them (and their pools) with the app.
        builder.Services.AddSingleton(_ => StanceDataSource.For(connectionString));
        builder.Services.AddSingleton(_ => ExportDataSource.For(connectionString, builder.Configuration.GetValue(ExportDataSource.ReadBufferSetting, 1 << 20)));
        builder.Services.AddSingleton<RevisionsRebuild>();
        builder.Services.AddSingleton<StoredEventRevisions>();
        builder.Services.AddSingleton(new ActivityTable($"{schema}.{LedgerActivityProjection.TableName}"));
        builder.Services.AddSingleton(new RevisionTable(StatementRevisionsProjection.DefineTable(schema).Identifier.QualifiedName));
        var idempotencyTable = Idempotency.DefineTable(schema);
        builder.Services.AddSingleton(new IdempotencyTable(idempotencyTable.Identifier.QualifiedName));
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddHttpContextAccessor();
        builder.Services.AddSingleton<StateStatement.Validator>();
        builder.Services.AddSingleton<StatementReferences>();
        builder.Services.AddSingleton(new BulkAppend.PendingTable($"{schema}.{BulkAppend.TableName}"));
        builder.Services.AddSingleton<BulkAppend>();
        builder.Services.AddHostedService<RecoverImports>();

        builder.WebHost.ConfigureKestrel(kestrel =>
            kestrel.Limits.MaxRequestBodySize = builder.Configuration.GetValue("PositionLedger:MaxBodyBytes", 1024 * 1024));
        builder.Services.AddApiKeys(builder.Configuration);
        builder.Services.AddRateLimiter(limits =>
        {
            var perSecond = builder.Configuration.GetValue("RateLimits:WritesPerSecond", 100);
            var burst = builder.Configuration.GetValue("RateLimits:WriteBurst", 200);
            limits.AddPolicy(WritesPolicy, context => RateLimitPartition.GetTokenBucketLimiter(
                context.User.Identity?.Name ?? "anonymous",
                _ => new TokenBucketRateLimiterOptions { TokenLimit = burst, TokensPerPeriod = perSecond, ReplenishmentPeriod = TimeSpan.FromSeconds(1), QueueLimit = 0 }));
            limits.OnRejected = async (rejected, ct) =>
            {
                var retryAfter = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds)) : 1;
                rejected.HttpContext.Response.StatusCode = StatusCodes.Status429TooManyRequests;
                rejected.HttpContext.Response.Headers.RetryAfter = retryAfter.ToString(CultureInfo.InvariantCulture);
                await rejected.HttpContext.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
                {
                    HttpContext = rejected.HttpContext,
                    ProblemDetails = { Status = 429, Detail = $"Too many writes for this API key; retry after {retryAfter} s." },
                });
            };
        });
        builder.Services.AddPositionLedgerOpenApi();
        builder.Services.AddPositionLedgerSecurityHeaders();
        // Generated code is written ahead of time (codegen write) and loaded statically outside Development.
        builder.Services.CritterStackDefaults(defaults =>
        {
            defaults.Development.GeneratedCodeMode = JasperFx.CodeGeneration.TypeLoadMode.Dynamic;
            defaults.Production.GeneratedCodeMode = JasperFx.CodeGeneration.TypeLoadMode.Static;
            defaults.AutoResolveProjectRoot = true;
        });
        builder.Services.AddHealthChecks().AddNpgSql(_ => dataSource, name: "postgresql", tags: ["ready"]);

        var marten = builder.Services.AddMarten(options =>
            {
                options.Connection(martenDataSource);
                options.DatabaseSchemaName = schema;
                options.UseSystemTextJsonForSerialization(EnumStorage.AsString, Casing.CamelCase);
                options.Events.StreamIdentity = StreamIdentity.AsString;
                // Rich mode gives inline projections each event's sequence and timestamp: record time.
                options.Events.AppendMode = EventAppendMode.Rich;
                options.Events.MetadataConfig.CorrelationIdEnabled = true;
                options.Events.MetadataConfig.CausationIdEnabled = true;
                options.Events.MetadataConfig.HeadersEnabled = true;
                options.Events.MetadataConfig.UserNameEnabled = true;
                options.AddParties().AddIssues().AddStatements().AddStances().AddActivity();
                options.Storage.ExtendedSchemaObjects.Add(idempotencyTable);
                // A transaction that reserved an event sequence and stays open holds the async projections
                // back (it may still commit). PostgreSQL's idle_in_transaction_session_timeout (set by the
                // deploy scripts) ends such sessions; this is the last resort if the server has none.
                options.Projections.SkipStaleGapsDespiteLiveTransactionsAfter = TimeSpan.FromMinutes(5);
            })
            // Lightweight sessions, which append in the request's transaction when it has an idempotency key.
            .BuildSessionsWith<RequestTransactionSessions>()
            .IntegrateWithWolverine(wolverine => wolverine.UseWolverineManagedEventSubscriptionDistribution = multiNode);
        if (!multiNode) marten.AddAsyncDaemon(JasperFx.Events.Daemon.DaemonMode.Solo);
        // On by default so a fresh database just works; a deployment that runs `db-apply` first can skip
        // the schema comparison at every start.
        if (builder.Configuration.GetValue("PositionLedger:ApplySchemaOnStartup", true)) marten.ApplyAllDatabaseChangesOnStartup();

        builder.Host.UseWolverine(options =>
        {
            options.ApplicationAssembly = typeof(PositionLedgerApp).Assembly;
            options.Policies.AutoApplyTransactions();
            options.Durability.Mode = multiNode ? DurabilityMode.Balanced : DurabilityMode.Solo;
            if (multiNode)
            {
                // Notice a dead node within seconds, so its projections move to a live one well within 30 s.
                options.Durability.HealthCheckPollingTime = TimeSpan.FromSeconds(2);
                options.Durability.StaleNodeTimeout = TimeSpan.FromSeconds(builder.Configuration.GetValue("PositionLedger:StaleNodeSeconds", 10));
                options.Durability.NodeReassignmentPollingTime = TimeSpan.FromSeconds(2);
                options.Durability.CheckAssignmentPeriod = TimeSpan.FromSeconds(5);
            }
        });
        builder.Services.AddWolverineHttp();

        builder.Services.ConfigureHttpJsonOptions(json =>
        {
            json.SerializerOptions.ReadStrictly();
            json.SerializerOptions.Converters.Add(new JsonStringEnumConverter(System.Text.Json.JsonNamingPolicy.CamelCase));
        });
        builder.Services.AddProblemDetails(problems => problems.CustomizeProblemDetails = JsonProblems.Shape);
        builder.Services.AddExceptionHandler<ExceptionProblems>();

        var app = builder.Build();
        var readsNeedReader = app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<AuthSettings>>().Value.RequireReaderForReads;

        app.UseSecurityHeaders();
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseDefaultFiles();
        app.UseStaticFiles();
        app.Use(Audit.CorrelateAsync);
        app.Use(RequestShape.GuardAsync);
        var importLimit = builder.Configuration.GetValue("PositionLedger:MaxImportBytes", 256L * 1024 * 1024);
        app.Use((context, next) =>
        {
            // Archives are larger than any single write.
            if (context.Request.Path.StartsWithSegments(ImportStatementsEndpoint.Route)
                && context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
                size.MaxRequestBodySize = importLimit;
            return next(context);
        });
        app.UseAuthentication();
        app.Use(app.Services.GetRequiredService<FailedKeyLimiter>().GuardAsync);
        app.UseAuthorization();
        app.UseRateLimiter();
        app.UseMiddleware<Idempotency>();

        app.MapOpenApi();
        app.MapScalarApiReference("/docs", scalar => scalar.WithTitle("PositionLedger API").DisableDefaultFonts().DisableTelemetry())
            .WithSecurityHeadersPolicy(SecurityHeaders.DocsPolicy);
        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false });
        app.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = check => check.Tags.Contains("ready") });
        app.MapWolverineEndpoints(http =>
        {
            http.RejectUnparseableQueryValues = true;
            // Every write needs an editor key and is rate limited per key; reads are open unless configured.
            http.ConfigureEndpoints(chain =>
            {
                OpenApi.DropUntypedResults(chain);
                if (IsWrite(chain)) chain.RequireAuthorization(Roles.Editor).RequireRateLimiting(WritesPolicy);
                else if (readsNeedReader) chain.RequireAuthorization(Roles.Reader);
            });
            http.AddMiddleware(typeof(Audit), IsWrite);
        });
        return app;
    }
}
