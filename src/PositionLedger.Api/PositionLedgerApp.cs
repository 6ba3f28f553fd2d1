using System.Text.Json.Serialization;
using JasperFx;
using JasperFx.Events;
using Marten;
using Npgsql;
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
    public static WebApplication Build(string[] args)
    {
        // appsettings.json and wwwroot live beside the binaries, wherever the app is started from.
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        var connectionString = builder.Configuration.GetConnectionString("PositionLedger")
            ?? throw new InvalidOperationException(
                "No database configured: set ConnectionStrings__PositionLedger, or start the app with deploy/run.sh, which starts a local PostgreSQL.");
        var schema = builder.Configuration["PositionLedger:Schema"] ?? "positionledger";

        var dataSource = new NpgsqlDataSourceBuilder(connectionString).Build();
        builder.Services.AddSingleton(dataSource);
        builder.Services.AddSingleton(new RevisionTable(StatementRevisionsProjection.DefineTable(schema).Identifier.QualifiedName));
        builder.Services.AddSingleton(TimeProvider.System);

        builder.Services.AddMarten(options =>
            {
                options.Connection(dataSource);
                options.DatabaseSchemaName = schema;
                options.UseSystemTextJsonForSerialization(EnumStorage.AsString, Casing.CamelCase);
                options.Events.StreamIdentity = StreamIdentity.AsString;
                // Rich mode gives inline projections each event's sequence and timestamp: record time.
                options.Events.AppendMode = EventAppendMode.Rich;
                options.Events.MetadataConfig.CorrelationIdEnabled = true;
                options.Events.MetadataConfig.CausationIdEnabled = true;
                options.Events.MetadataConfig.HeadersEnabled = true;
                options.Events.MetadataConfig.UserNameEnabled = true;
                options.AddParties().AddIssues().AddStatements().AddStances();
            })
            .UseLightweightSessions()
            .AddAsyncDaemon(JasperFx.Events.Daemon.DaemonMode.Solo)
            .ApplyAllDatabaseChangesOnStartup()
            .IntegrateWithWolverine();

        builder.Host.UseWolverine(options =>
        {
            options.ApplicationAssembly = typeof(PositionLedgerApp).Assembly;
            options.Policies.AutoApplyTransactions();
            options.Durability.Mode = DurabilityMode.Solo;
        });
        builder.Services.AddWolverineHttp();

        builder.Services.ConfigureHttpJsonOptions(json =>
        {
            json.SerializerOptions.UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow;
            json.SerializerOptions.Converters.Add(new JsonStringEnumConverter(System.Text.Json.JsonNamingPolicy.CamelCase));
        });
        builder.Services.AddProblemDetails(problems => problems.CustomizeProblemDetails = JsonProblems.NameTheField);
        builder.Services.AddExceptionHandler<ConflictExceptionHandler>();

        var app = builder.Build();

        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.MapWolverineEndpoints(http =>
        {
            http.RejectUnparseableQueryValues = true;
            http.ApplyCorrelationIdHeaderToAllEndpoints = true;
        });
        return app;
    }
}
