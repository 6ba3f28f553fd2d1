using System.Security.Cryptography;
using Npgsql;
using Weasel.Postgresql.Tables;

namespace PositionLedger.Infrastructure;

/// <summary>
/// <c>Idempotency-Key</c> on any POST: the first request with a key runs and its response is stored in
/// PostgreSQL; a repeat with the same key and body gets that response again and appends nothing; the
/// same key with another body is a 422. Keys are scoped per credential. A repeat that arrives while the
/// first is still running waits for its response, so concurrent retries also append once.
/// </summary>
public sealed class Idempotency(RequestDelegate next, NpgsqlDataSource db, IdempotencyTable table, IProblemDetailsService problems, ILogger<Idempotency> logger)
{
    public const string Header = "Idempotency-Key";
    public const int MaxKeyLength = 200;

    /// <summary>How long a repeat waits for the first request's response before answering 409.</summary>
    private static readonly TimeSpan WaitForFirst = TimeSpan.FromSeconds(15);

    /// <summary>A claim this old with no response belongs to a process that died mid-request.</summary>
    private static readonly TimeSpan Abandoned = TimeSpan.FromMinutes(2);

    public static Table DefineTable(string schema)
    {
        var t = new Table($"{schema}.pl_idempotency_keys");
        t.AddColumn<string>("credential").AsPrimaryKey();
        t.AddColumn<string>("key").AsPrimaryKey();
        t.AddColumn("request_hash", "bytea").NotNull();
        t.AddColumn<DateTimeOffset>("created").NotNull();
        t.AddColumn<int>("status");
        t.AddColumn<string>("content_type");
        t.AddColumn<string>("location");
        t.AddColumn("body", "bytea");
        return t;
    }

    public async Task InvokeAsync(HttpContext context)
    {
        var key = context.Request.Headers[Header].ToString();
        if (!HttpMethods.IsPost(context.Request.Method) || key.Length == 0)
        {
            await next(context);
            return;
        }
        if (key.Length > MaxKeyLength || key.Any(char.IsControl))
        {
            await Problem(context, StatusCodes.Status400BadRequest, $"The {Header} header must be 1 to {MaxKeyLength} printable characters.", withErrors: true);
            return;
        }

        var credential = context.User.Identity?.Name ?? "";
        var hash = await HashRequestAsync(context);
        if (await ClaimAsync(credential, key, hash, context.RequestAborted))
        {
            await RunAndRememberAsync(context, credential, key);
            return;
        }

        var deadline = DateTimeOffset.UtcNow + WaitForFirst;
        while (true)
        {
            var stored = await FindAsync(credential, key, context.RequestAborted);
            if (stored is null)
            {
                // The first request failed and let go of the key: this one may run.
                if (await ClaimAsync(credential, key, hash, context.RequestAborted)) { await RunAndRememberAsync(context, credential, key); return; }
                continue;
            }
            if (!stored.RequestHash.AsSpan().SequenceEqual(hash))
            {
                await Problem(context, StatusCodes.Status422UnprocessableEntity, $"This {Header} was used for a different request.", withErrors: true);
                return;
            }
            if (stored.Status is { } status)
            {
                await ReplayAsync(context, status, stored);
                return;
            }
            if (DateTimeOffset.UtcNow - stored.Created > Abandoned)
            {
                // Its events, if it committed any, carry the key: then it did happen and must not run again.
                if (await AppliedAsync(credential, key, context.RequestAborted) is { } applied)
                {
                    await Problem(context, StatusCodes.Status409Conflict, $"A request with this {Header} was applied ({applied}) but its response was lost.", withErrors: false);
                    return;
                }
                if (await TakeOverAsync(credential, key, stored.Created, context.RequestAborted)) { await RunAndRememberAsync(context, credential, key); return; }
                continue;
            }
            if (DateTimeOffset.UtcNow > deadline)
            {
                context.Response.Headers.RetryAfter = "1";
                await Problem(context, StatusCodes.Status409Conflict, $"A request with this {Header} is still being processed; retry shortly.", withErrors: false);
                return;
            }
            await Task.Delay(25, context.RequestAborted);
        }
    }

    private async Task RunAndRememberAsync(HttpContext context, string credential, string key)
    {
        var original = context.Response.Body;
        using var captured = new MemoryStream();
        context.Response.Body = captured;
        var remembered = false;
        try
        {
            await next(context);
            // Server errors are not remembered: the client may retry them with the same key.
            if (context.Response.StatusCode < 500)
            {
                await RememberAsync(credential, key, context.Response.StatusCode, context.Response.ContentType,
                    context.Response.Headers.Location.ToString(), captured.ToArray());
                remembered = true;
            }
        }
        finally
        {
            if (!remembered) await ReleaseAsync(credential, key);
            context.Response.Body = original;
            captured.Position = 0;
            await captured.CopyToAsync(original, CancellationToken.None);
        }
    }

    private static async Task<byte[]> HashRequestAsync(HttpContext context)
    {
        context.Request.EnableBuffering();
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        sha.AppendData(System.Text.Encoding.UTF8.GetBytes($"{context.Request.Method} {context.Request.Path}\n"));
        var buffer = new byte[16 * 1024];
        int read;
        while ((read = await context.Request.Body.ReadAsync(buffer, context.RequestAborted)) > 0) sha.AppendData(buffer, 0, read);
        context.Request.Body.Position = 0;
        return sha.GetHashAndReset();
    }

    private async Task<bool> ClaimAsync(string credential, string key, byte[] hash, CancellationToken ct)
    {
        await using var command = db.CreateCommand(
            $"insert into {table.QualifiedName} (credential, key, request_hash, created) values ($1, $2, $3, now()) on conflict do nothing");
        command.Parameters.Add(new NpgsqlParameter { Value = credential });
        command.Parameters.Add(new NpgsqlParameter { Value = key });
        command.Parameters.Add(new NpgsqlParameter { Value = hash });
        return await command.ExecuteNonQueryAsync(ct) == 1;
    }

    private sealed record Stored(byte[] RequestHash, DateTimeOffset Created, int? Status, string? ContentType, string? Location, byte[]? Body);

    private async Task<Stored?> FindAsync(string credential, string key, CancellationToken ct)
    {
        await using var command = db.CreateCommand(
            $"select request_hash, created, status, content_type, location, body from {table.QualifiedName} where credential = $1 and key = $2");
        command.Parameters.Add(new NpgsqlParameter { Value = credential });
        command.Parameters.Add(new NpgsqlParameter { Value = key });
        await using var reader = await command.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct)) return null;
        return new Stored(
            reader.GetFieldValue<byte[]>(0),
            reader.GetFieldValue<DateTimeOffset>(1),
            reader.IsDBNull(2) ? null : reader.GetInt32(2),
            reader.IsDBNull(3) ? null : reader.GetString(3),
            reader.IsDBNull(4) ? null : reader.GetString(4),
            reader.IsDBNull(5) ? null : reader.GetFieldValue<byte[]>(5));
    }

    private async Task<string?> AppliedAsync(string credential, string key, CancellationToken ct)
    {
        await using var command = db.CreateCommand(
            $"select stream_id || ' version ' || version from {table.EventsTable} where headers ->> '{Audit.IdempotencyKeyHeader}' = $1 and user_name = $2 limit 1");
        command.Parameters.Add(new NpgsqlParameter { Value = key });
        command.Parameters.Add(new NpgsqlParameter { Value = credential });
        return await command.ExecuteScalarAsync(ct) as string;
    }

    private async Task<bool> TakeOverAsync(string credential, string key, DateTimeOffset created, CancellationToken ct)
    {
        await using var command = db.CreateCommand(
            $"update {table.QualifiedName} set created = now() where credential = $1 and key = $2 and status is null and created = $3");
        command.Parameters.Add(new NpgsqlParameter { Value = credential });
        command.Parameters.Add(new NpgsqlParameter { Value = key });
        command.Parameters.Add(new NpgsqlParameter { Value = created });
        return await command.ExecuteNonQueryAsync(ct) == 1;
    }

    private async Task RememberAsync(string credential, string key, int status, string? contentType, string? location, byte[] body)
    {
        await using var command = db.CreateCommand(
            $"update {table.QualifiedName} set status = $3, content_type = $4, location = $5, body = $6 where credential = $1 and key = $2");
        command.Parameters.Add(new NpgsqlParameter { Value = credential });
        command.Parameters.Add(new NpgsqlParameter { Value = key });
        command.Parameters.Add(new NpgsqlParameter { Value = status });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)contentType ?? DBNull.Value });
        command.Parameters.Add(new NpgsqlParameter { Value = string.IsNullOrEmpty(location) ? DBNull.Value : location });
        command.Parameters.Add(new NpgsqlParameter { Value = body });
        await command.ExecuteNonQueryAsync(CancellationToken.None);
    }

    private async Task ReleaseAsync(string credential, string key)
    {
        try
        {
            await using var command = db.CreateCommand($"delete from {table.QualifiedName} where credential = $1 and key = $2 and status is null");
            command.Parameters.Add(new NpgsqlParameter { Value = credential });
            command.Parameters.Add(new NpgsqlParameter { Value = key });
            await command.ExecuteNonQueryAsync(CancellationToken.None);
        }
        catch (NpgsqlException e)
        {
            logger.LogWarning(e, "Could not release idempotency key {Key}; a retry with it will wait and then get 409", key);
        }
    }

    private static async Task ReplayAsync(HttpContext context, int status, Stored stored)
    {
        context.Response.StatusCode = status;
        if (stored.ContentType is not null) context.Response.ContentType = stored.ContentType;
        if (stored.Location is not null) context.Response.Headers.Location = stored.Location;
        context.Response.Headers["Idempotent-Replayed"] = "true";
        if (stored.Body is { Length: > 0 } body) await context.Response.Body.WriteAsync(body, context.RequestAborted);
    }

    private async Task Problem(HttpContext context, int status, string detail, bool withErrors)
    {
        context.Response.StatusCode = status;
        var problem = new Microsoft.AspNetCore.Mvc.ProblemDetails { Status = status, Detail = detail };
        if (withErrors) problem.Extensions["errors"] = new Dictionary<string, string[]> { [Header] = [detail] };
        await problems.WriteAsync(new ProblemDetailsContext { HttpContext = context, ProblemDetails = problem });
    }
}

/// <param name="EventsTable">Marten's event table, where each appended event carries its idempotency key.</param>
public sealed record IdempotencyTable(string QualifiedName, string EventsTable);
