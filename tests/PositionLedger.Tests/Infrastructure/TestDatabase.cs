using DotNet.Testcontainers.Builders;
using Testcontainers.PostgreSql;

namespace PositionLedger.Tests.Infrastructure;

/// <summary>
/// The real PostgreSQL the tests run against: a connection string from the environment wins, otherwise
/// a Testcontainers PostgreSQL. Without either the run fails loudly; it never skips.
/// </summary>
public static class TestDatabase
{
    public const string Variable = "POSITIONLEDGER_TEST_CONNECTION";

    private static readonly Lazy<Task<string>> Connection = new(async () => WithShortIdleLifetime(await StartAsync()));

    public static Task<string> ConnectionStringAsync() => Connection.Value;

    /// <summary>
    /// The suite starts dozens of apps, each with several pools: an idle connection is closed after a few seconds, not
    /// Npgsql's five minutes, so that the open connections stay well under the server's max_connections.
    /// </summary>
    private static string WithShortIdleLifetime(string connectionString) =>
        new Npgsql.NpgsqlConnectionStringBuilder(connectionString) { ConnectionIdleLifetime = 3, ConnectionPruningInterval = 1 }
            .ConnectionString;

    private static async Task<string> StartAsync()
    {
        var configured = Environment.GetEnvironmentVariable(Variable);
        if (!string.IsNullOrWhiteSpace(configured)) return configured;
        try
        {
            var container = new PostgreSqlBuilder("postgres:15-alpine").Build();
            await container.StartAsync();
            return container.GetConnectionString();
        }
        catch (Exception e) when (e is DockerUnavailableException || e.InnerException is DockerUnavailableException)
        {
            throw new InvalidOperationException(
                $"No PostgreSQL for the tests: Docker is unavailable and {Variable} is not set. " +
                $"Run deploy/test.sh (it starts a throwaway local PostgreSQL), or set {Variable} to a connection string, " +
                "e.g. Host=127.0.0.1;Port=5432;Username=postgres;Password=...;Database=postgres", e);
        }
    }
}
