using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Scalar.AspNetCore;
using JasperFx;
using JasperFx.Events;
using Marten;
using PositionLedger.Activity;
using PositionLedger.EventLog;
using PositionLedger.Imports;
using PositionLedger.Infrastructure;
using PositionLedger.Issues;
using PositionLedger.Parties;
using PositionLedger.Revisions;
using PositionLedger.Reviews;
using PositionLedger.Sources;
using PositionLedger.Statements;
using Weasel.Core;
using Wolverine;
using Wolverine.Http;
using Wolverine.Marten;

namespace PositionLedger;

/// <summary>The whole app's wiring, shared by the command line and the tests' in-process host.</summary>
public static class PositionLedgerApp
{
    public static WebApplication Build(string[] args)
    {
        // appsettings.json and wwwroot live beside the binaries, wherever the app is started from.
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        var configuration = builder.Configuration;
        var connectionString = configuration.GetConnectionString("PositionLedger")
            ?? throw new InvalidOperationException(
                "No database configured: set ConnectionStrings__PositionLedger, or start the app with deploy/run.sh, "
                + "which starts a local PostgreSQL.");
        var schema = configuration["PositionLedger:Schema"] ?? "positionledger";
        // "multi": several nodes share the database; Wolverine's leader election puts each async projection
        // on exactly one live node and moves it when that node dies. Otherwise one node runs them all.
        var multiNode = string.Equals(configuration["PositionLedger:Nodes"], "multi", StringComparison.OrdinalIgnoreCase);

        // Every connection of the ledger's nodes carries one application name, so the settled point of a read
        // (SettledReads) can find the ledger's own open transactions among the server's.
        var named = new Npgsql.NpgsqlConnectionStringBuilder(connectionString);
        if (string.IsNullOrEmpty(named.ApplicationName)) named.ApplicationName = $"positionledger/{schema}";
        connectionString = named.ConnectionString;
        var pools = builder.Services.AddConnectionPools(connectionString, configuration);
        builder.Services
            .AddRevisions(schema)
            .AddActivity(schema)
            .AddIdempotency(schema)
            .AddSingleton(TimeProvider.System)
            .AddHttpContextAccessor()
            .AddSingleton<SettledReads>()
            .AddSingleton(services => new ReadReplica(configuration, schema, services.GetRequiredService<TimeProvider>()))
            .AddHostedService<ReadReplica.RecordSettledPoint>()
            .AddStatements()
            .AddSources()
            .AddImports(schema)
            .AddEventLog()
            .AddReviews(configuration);

        builder.WebHost.ConfigureKestrel(kestrel =>
            kestrel.Limits.MaxRequestBodySize = configuration.GetValue("PositionLedger:MaxBodyBytes", 1024 * 1024));
        builder.Services
            .AddApiKeys(configuration)
            .AddWriteRateLimit(configuration)
            .AddPositionLedgerOpenApi()
            .AddPositionLedgerSecurityHeaders();
        // Generated code is written ahead of time (codegen write) and loaded statically outside Development.
        builder.Services.CritterStackDefaults(defaults =>
        {
            defaults.Development.GeneratedCodeMode = JasperFx.CodeGeneration.TypeLoadMode.Dynamic;
            defaults.Production.GeneratedCodeMode = JasperFx.CodeGeneration.TypeLoadMode.Static;
            defaults.AutoResolveProjectRoot = true;
        });
        builder.Services.AddHealthChecks().AddNpgSql(_ => pools.App, name: "postgresql", tags: ["ready"])
            .AddCheck<ReadReplica.Health>("replica", tags: ["ready"]);

        AddEventStore(builder, pools, schema, multiNode);
        AddWolverine(builder, multiNode);

        builder.Services.ConfigureHttpJsonOptions(json =>
        {
            json.SerializerOptions.ReadStrictly();
            json.SerializerOptions.Converters.Add(new JsonStringEnumConverter(System.Text.Json.JsonNamingPolicy.CamelCase));
        });
        builder.Services.AddProblemDetails(problems => problems.CustomizeProblemDetails = JsonProblems.Shape);
        builder.Services.AddExceptionHandler<ExceptionProblems>();
        builder.AddTelemetry();
        builder.Logging.QuietClientFaults();

        var app = builder.Build();
        UsePipeline(app);
        MapEndpoints(app);
        return app;
    }

    private static void AddEventStore(WebApplicationBuilder builder, ConnectionPools.Pools pools, string schema, bool multiNode)
    {
        var marten = builder.Services.AddMarten(options =>
            {
                options.Connection(pools.Marten);
                options.DatabaseSchemaName = schema;
                options.UseSystemTextJsonForSerialization(EnumStorage.AsString, Casing.CamelCase);
                options.Events.StreamIdentity = StreamIdentity.AsString;
                // Rich mode gives inline projections each event's sequence and timestamp: record time.
                options.Events.AppendMode = EventAppendMode.Rich;
                options.Events.MetadataConfig.CorrelationIdEnabled = true;
                options.Events.MetadataConfig.CausationIdEnabled = true;
                options.Events.MetadataConfig.HeadersEnabled = true;
                options.Events.MetadataConfig.UserNameEnabled = true;
                options.Listeners.Add(new LedgerMetrics.CountAppends());
                options.AddParties().AddIssues().AddSources().AddStatements().AddImports().AddRevisions().AddActivity().AddIdempotency()
                    .AddReviews();
                options.Storage.ExtendedSchemaObjects.Add(ReadReplica.DefineTable(options.DatabaseSchemaName));
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
    }

    private static void AddWolverine(WebApplicationBuilder builder, bool multiNode)
    {
        builder.Host.UseWolverine(options =>
        {
            options.ApplicationAssembly = typeof(PositionLedgerApp).Assembly;
            options.Policies.AutoApplyTransactions();
            options.Durability.Mode = multiNode ? DurabilityMode.Balanced : DurabilityMode.Solo;
            if (multiNode)
            {
                // Notice a dead node within seconds, so its projections move to a live one well within 30 s.
                options.Durability.HealthCheckPollingTime = TimeSpan.FromSeconds(2);
                options.Durability.StaleNodeTimeout = TimeSpan.FromSeconds(
                    builder.Configuration.GetValue("PositionLedger:StaleNodeSeconds", 10));
                options.Durability.NodeReassignmentPollingTime = TimeSpan.FromSeconds(2);
                options.Durability.CheckAssignmentPeriod = TimeSpan.FromSeconds(5);
            }
        });
        builder.Services.AddWolverineHttp();
    }

    private static void UsePipeline(WebApplication app)
    {
        app.UseSecurityHeaders();
        app.Use(LedgerMetrics.CountRefusalsAsync);
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseDefaultFiles();
        app.UseStaticFiles();
        app.Use(Audit.CorrelateAsync);
        app.Use(RequestShape.GuardAsync);
        app.UseImportBodyLimit(app.Configuration);
        app.UseSourceBodyLimit();
        app.UseAuthentication();
        app.Use(app.Services.GetRequiredService<FailedKeyLimiter>().GuardAsync);
        app.UseAuthorization();
        app.UseRateLimiter();
        app.Use(app.Services.GetRequiredService<SettledReads>().GuardAsync);
        app.UseMiddleware<Idempotency>();
    }

    private static bool IsWrite(HttpChain chain) => chain.HttpMethods.Any(m => m != HttpMethods.Get && m != HttpMethods.Head);

    private static void MapEndpoints(WebApplication app)
    {
        var readsNeedReader = app.Services
            .GetRequiredService<Microsoft.Extensions.Options.IOptions<AuthSettings>>()
            .Value.RequireReaderForReads;
        // One document: a literal route, so an unknown name is a plain 404 (problem details), not the generator's text.
        app.MapOpenApi("/openapi/v1.json");
        app.MapScalarApiReference("/docs", scalar => scalar.WithTitle("PositionLedger API").DisableDefaultFonts().DisableTelemetry())
            .WithSecurityHeadersPolicy(SecurityHeaders.DocsPolicy);
        app.MapTelemetry();
        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false });
        app.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = check => check.Tags.Contains("ready") });
        app.MapWolverineEndpoints(http =>
        {
            http.RejectUnparseableQueryValues = true;
            // Every write needs an editor key and is rate limited per key; reads are open unless configured.
            http.ConfigureEndpoints(chain =>
            {
                OpenApi.DropUntypedResults(chain);
                var review = chain.RoutePattern?.RawText?.StartsWith("/api/reviews", StringComparison.Ordinal) == true;
                if (IsWrite(chain))
                    chain.RequireAuthorization(review ? Roles.Verifier : Roles.Editor).RequireRateLimiting(WriteRateLimit.Policy);
                // The review queue shows what readers may not see yet.
                else if (review) chain.RequireAuthorization(Roles.Editor);
                else if (readsNeedReader) chain.RequireAuthorization(Roles.Reader);
            });
            http.AddMiddleware(typeof(Audit), IsWrite);
        });
    }
}
