using Marten;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using PositionLedger.Stances;

namespace PositionLedger.Tests.Infrastructure;

/// <summary>
/// The real app, built by the same code as the command line, on Kestrel at a real port (so real HTTP
/// clients and browsers reach it), over a real PostgreSQL in a schema of its own.
/// </summary>
public sealed class AppFixture : IAsyncLifetime
{
    public string Schema { get; } = $"test_{Guid.NewGuid():N}"[..20];

    private WebApplication _app = null!;

    public Uri BaseAddress { get; private set; } = null!;

    public HttpClient Client { get; private set; } = null!;

    public IServiceProvider Services => _app.Services;

    public IDocumentStore Store => Services.GetRequiredService<IDocumentStore>();

    public async Task InitializeAsync()
    {
        var connectionString = await TestDatabase.ConnectionStringAsync();
        _app = PositionLedgerApp.Build([
            "--environment=Development",
            "--urls=http://127.0.0.1:0",
            $"--ConnectionStrings:PositionLedger={connectionString}",
            $"--PositionLedger:Schema={Schema}",
            "--Logging:LogLevel:Default=Warning",
        ]);
        await _app.StartAsync();
        BaseAddress = new Uri(_app.Urls.First());
        Client = new HttpClient { BaseAddress = BaseAddress };
    }

    /// <summary>Empties the event store and every read model, the revision table included.</summary>
    public async Task ResetAsync()
    {
        await Store.Advanced.ResetAllData();
        await using var command = Services.GetRequiredService<NpgsqlDataSource>()
            .CreateCommand($"delete from {Services.GetRequiredService<RevisionTable>().QualifiedName}");
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>Domain events only: Marten fills the sequence numbers of a failed append with tombstones.</summary>
    public async Task<long> EventCountAsync()
    {
        await using var session = Store.QuerySession();
        return await session.Events.QueryAllRawEvents().Where(e => e.StreamKey != JasperFx.Events.Tombstone.StreamKey).LongCountAsync();
    }

    public async Task DisposeAsync()
    {
        Client.Dispose();
        await using (var command = Services.GetRequiredService<NpgsqlDataSource>().CreateCommand($"drop schema if exists {Schema} cascade"))
        {
            await command.ExecuteNonQueryAsync();
        }
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class ApiCollection : ICollectionFixture<AppFixture>
{
    public const string Name = "api";
}

/// <summary>Each end-to-end test starts from an empty store.</summary>
[Collection(ApiCollection.Name)]
public abstract class ApiTest(AppFixture app) : IAsyncLifetime
{
    protected AppFixture App { get; } = app;

    protected HttpClient Client => App.Client;

    public Task InitializeAsync() => App.ResetAsync();

    public Task DisposeAsync() => Task.CompletedTask;
}
