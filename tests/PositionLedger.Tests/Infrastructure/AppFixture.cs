using Marten;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace PositionLedger.Tests.Infrastructure;

/// <summary>
/// The real app, built by the same code as the command line, on Kestrel at a real port (so real HTTP
/// clients and browsers reach it), over a real PostgreSQL in a schema of its own.
/// </summary>
public class AppFixture : IAsyncLifetime, IAsyncDisposable
{
    public string Schema { get; } = $"test_{Guid.NewGuid():N}"[..20];


    private WebApplication _app = null!;

    public Uri BaseAddress { get; private set; } = null!;

    public HttpClient Client { get; private set; } = null!;

    public IServiceProvider Services => _app.Services;

    public IDocumentStore Store => Services.GetRequiredService<IDocumentStore>();

    public const string EditorKey = "test-editor-key-0123456789abcdef0123";
    public const string EditorName = "test-editor";
    public const string ReaderKey = "test-reader-key-0123456789abcdef0123";
    public const string VerifierKey = "test-verifier-key-0123456789abcdef01";
    public const string VerifierName = "test-verifier";

    /// <summary>Settings a test class may add to or override, e.g. low rate limits.</summary>
    private readonly string[] _settings;

    public AppFixture() : this([]) { }

    protected AppFixture(string[] settings) => _settings = settings;

    private AppFixture(string existingSchema, string[] settings) : this(settings)
    {
        Schema = existingSchema;
        _ownsSchema = false;
    }

    private string? _connectionString;

    /// <summary>An app on a connection string of the test's choosing (e.g. through a proxy).</summary>
    public static AppFixture WithConnectionString(string connectionString) => new([]) { _connectionString = connectionString };

    /// <summary>A second app on another fixture's schema, as a restarted process would be.</summary>
    public static AppFixture OnSchemaOf(AppFixture other) => new(other.Schema, []);

    /// <summary>Another node of the same deployment: the other fixture's schema and settings, its own process state.</summary>
    public static AppFixture SecondNodeOf(AppFixture other) => new(other.Schema, other._settings);

    private readonly bool _ownsSchema = true;

    /// <summary>An anonymous client: reads only.</summary>
    public HttpClient Anonymous { get; private set; } = null!;

    /// <summary>A client with a verifier's key: it may decide the editor's proposals.</summary>
    public HttpClient Verifier { get; private set; } = null!;

    /// <summary>A client with a reader's key.</summary>
    public HttpClient Reader { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var connectionString = _connectionString ?? await TestDatabase.ConnectionStringAsync();
        _app = PositionLedgerApp.Build([
            "--environment=Development",
            "--urls=http://127.0.0.1:0",
            $"--ConnectionStrings:PositionLedger={connectionString}",
            $"--PositionLedger:Schema={Schema}",
            "--Logging:LogLevel:Default=Warning",
            $"--Auth:ApiKeys:0:Key={EditorKey}", $"--Auth:ApiKeys:0:Name={EditorName}", "--Auth:ApiKeys:0:Role=editor",
            $"--Auth:ApiKeys:1:Key={ReaderKey}", "--Auth:ApiKeys:1:Name=test-reader", "--Auth:ApiKeys:1:Role=reader",
            $"--Auth:ApiKeys:4:Key={VerifierKey}", $"--Auth:ApiKeys:4:Name={VerifierName}", "--Auth:ApiKeys:4:Role=verifier",
            "--RateLimits:WritesPerSecond=100000", "--RateLimits:WriteBurst=100000",
            // Tiny export chunks of two values, so that every export test crosses value and chunk boundaries and uses both readers.
            $"--{PositionLedger.EventLog.ExportEventsEndpoint.ChunkSetting}=3",
            $"--{PositionLedger.EventLog.ExportEventsEndpoint.SequencesPerValueSetting}=2",
            .. _settings,
        ]);
        await _app.StartAsync();
        BaseAddress = new Uri(_app.Urls.First());
        Client = ClientWithKey(EditorKey);
        Reader = ClientWithKey(ReaderKey);
        Verifier = ClientWithKey(VerifierKey);
        Anonymous = new HttpClient { BaseAddress = BaseAddress };
    }

    public HttpClient ClientWithKey(string key)
    {
        var client = new HttpClient { BaseAddress = BaseAddress };
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", key);
        return client;
    }

    /// <summary>Empties the event store and every read model, the revision table included.</summary>
    public async Task ResetAsync()
    {
        await Store.Advanced.ResetAllData();
        Services.GetRequiredService<PositionLedger.Statements.StatementReferences>().Forget();
        Services.GetRequiredService<PositionLedger.Sources.SourceTexts>().Forget();
        await Services.GetRequiredService<PositionLedger.EventLog.LiveEventHub>().ForgetAsync();
        var db = Services.GetRequiredService<NpgsqlDataSource>();
        // Every table of the app's own (pl_*), found in the schema: a new read model is reset without a word here.
        var tables = new List<string>();
        await using (var list = db.CreateCommand(
            "select format('%I.%I', schemaname, tablename) from pg_tables where schemaname = $1 and tablename like 'pl\\_%'"))
        {
            list.Parameters.Add(new NpgsqlParameter { Value = Schema });
            await using var reader = await list.ExecuteReaderAsync();
            while (await reader.ReadAsync()) tables.Add(reader.GetString(0));
        }
        foreach (var table in tables)
        {
            await using var command = db.CreateCommand($"delete from {table}");
            await command.ExecuteNonQueryAsync();
        }
    }

    /// <summary>Domain events only: Marten fills the sequence numbers of a failed append with tombstones.</summary>
    public async Task<long> EventCountAsync()
    {
        await using var session = Store.QuerySession();
        return await session.Events.QueryAllRawEvents().Where(e => e.StreamKey != JasperFx.Events.Tombstone.StreamKey).LongCountAsync();
    }

    async ValueTask IAsyncDisposable.DisposeAsync() => await DisposeAsync();

    public async Task DisposeAsync()
    {
        Client.Dispose();
        Reader.Dispose();
        Anonymous.Dispose();
        if (_ownsSchema)
        {
            await using var command = Services.GetRequiredService<NpgsqlDataSource>()
                .CreateCommand($"drop schema if exists {Schema} cascade");
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

/// <summary>
/// A test with an app and schema of its own, for the asynchronous daemon: its progress lives in the running
/// app, so a store reset under a shared app would not be a fresh start.
/// </summary>
[Collection(PositionLedger.Tests.ScaleOut.ProcessCollection.Name)]
public abstract class OwnAppTest : IAsyncLifetime
{
    protected AppFixture App { get; } = new();

    protected HttpClient Client => App.Client;

    public Task InitializeAsync() => ((IAsyncLifetime)App).InitializeAsync();

    public Task DisposeAsync() => App.DisposeAsync();
}
