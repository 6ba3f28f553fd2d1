using System.Buffers;
using System.IO.Pipelines;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Marten;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.OpenApi;
using Npgsql;
using PositionLedger.Infrastructure;
using PositionLedger.Issues;
using PositionLedger.Parties;
using Wolverine.Http;
using PositionLedger.Statements;

namespace PositionLedger.Imports;

/// <summary>One line of an archive: a statement as POST /api/statements takes it, with an optional id of its own.</summary>
/// <param name="Field">The field an unreadable line breaks at (<c>source.url</c>), when the JSON names one.</param>
public sealed record ImportLine(int Line, Guid? Id, StateStatement? Statement, string? Error, string? Field = null)
{
    /// <summary>The line's evidence, placed in its sources by <see cref="StatementImport.ValidateAsync"/>.</summary>
    public PositionLedger.Sources.Evidence? Evidence { get; set; }

    public string ErrorKey => Field is null ? $"line {Line}" : $"line {Line}.{Field}";
}

public sealed record ImportReport(int Received, int Appended, int AlreadyPresent, IReadOnlyList<string> Ids);

/// <summary>An import under review: each new statement waits as a proposal (its id is the statement's) for a verifier.</summary>
public sealed record ImportProposed(int Received, int Proposed, int AlreadyPresent, IReadOnlyList<string> Ids);

/// <summary>
/// Bulk import for archives: NDJSON (one statement per line) or a JSON array. A batch is all-or-nothing:
/// one invalid line and nothing is appended, and every invalid line is named by its number. Lines that
/// carry an id already in the ledger are counted as present and skipped, so an archive loads once.
/// </summary>
public static class StatementImport
{
    public const int MaxLines = 100_000;
    public const int MaxReportedErrors = 200;

    private static readonly JsonSerializerOptions Json = JsonInput.Strict;

    public static async IAsyncEnumerable<ImportLine> ReadAsync(
        Stream body, bool isJsonArray, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        if (isJsonArray)
        {
            await foreach (var element in ReadArrayAsync(body, ct)) yield return element;
            yield break;
        }

        // Lines are split and checked as bytes: a decoding reader would turn invalid UTF-8 into U+FFFD
        // without a word, where a single append refuses it.
        var pipe = PipeReader.Create(body);
        var lineNumber = 0;
        while (true)
        {
            var read = await pipe.ReadAsync(ct);
            var buffer = read.Buffer;
            while (buffer.PositionOf((byte)'\n') is { } end)
            {
                lineNumber++;
                var line = Parse(lineNumber, buffer.Slice(0, end));
                buffer = buffer.Slice(buffer.GetPosition(1, end));
                if (line is not null) yield return line;
            }
            if (read.IsCompleted)
            {
                if (Parse(lineNumber + 1, buffer) is { } last) yield return last;
                await pipe.CompleteAsync();
                yield break;
            }
            pipe.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    /// <summary>
    /// A JSON array, element by element as bytes: each element is read exactly as an NDJSON line is (so both
    /// framings refuse the same things), and a syntax error is named by the element it breaks.
    /// </summary>
    private static async IAsyncEnumerable<ImportLine> ReadArrayAsync(
        Stream body, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        var pipe = PipeReader.Create(body);
        var scan = new ArrayScan();
        while (true)
        {
            var read = await pipe.ReadAsync(ct);
            var lines = new List<ImportLine>();
            var consumed = scan.Read(read.Buffer, read.IsCompleted, lines);
            foreach (var line in lines) yield return line;
            if (scan.Finished || read.IsCompleted)
            {
                if (!scan.Finished) yield return new ImportLine(scan.Elements + 1, null, null, "The body ends before the array does.");
                await pipe.CompleteAsync();
                yield break;
            }
            pipe.AdvanceTo(consumed, read.Buffer.End);
        }
    }

    /// <summary>Where a streamed JSON array stands between two reads of the body.</summary>
    private sealed class ArrayScan
    {
        private JsonReaderState state = new(new JsonReaderOptions { MaxDepth = 64 });
        private bool opened;
        private bool closed;

        public int Elements { get; private set; }
        public bool Finished { get; private set; }

        /// <summary>Reads the whole elements in the buffer into lines; returns how far the buffer was used.</summary>
        public SequencePosition Read(ReadOnlySequence<byte> buffer, bool final, List<ImportLine> lines)
        {
            var reader = new Utf8JsonReader(buffer, final, state);
            var consumed = buffer.Start;
            try
            {
                while (true)
                {
                    var before = reader;
                    if (!reader.Read())
                    {
                        if (final && closed) Finished = true;
                        break;
                    }
                    if (closed)
                    {
                        Fail(lines, Elements + 1, "Nothing may follow the array.");
                        break;
                    }
                    if (!opened)
                    {
                        if (reader.TokenType != JsonTokenType.StartArray)
                        {
                            Fail(lines, 1, "The body must be a JSON array of statements.");
                            break;
                        }
                        opened = true;
                    }
                    else if (reader.TokenType == JsonTokenType.EndArray)
                    {
                        closed = true;
                    }
                    else
                    {
                        var start = reader.TokenStartIndex;
                        if (!reader.TrySkip())
                        {
                            reader = before;
                            break;
                        }
                        Elements++;
                        var element = buffer.Slice(start, reader.BytesConsumed - start);
                        lines.Add(Parse(Elements, element) ?? new ImportLine(Elements, null, null, NotAnObject));
                    }
                    consumed = reader.Position;
                    state = reader.CurrentState;
                }
            }
            catch (JsonException ex)
            {
                // Utf8JsonReader refuses invalid UTF-8 too; say so as the NDJSON path does.
                var message = closed ? "Nothing may follow the array."
                    : ex.Message.Contains("UTF-8", StringComparison.OrdinalIgnoreCase) ? NotUtf8
                    : JsonProblems.Describe(ex.Message, "body");
                Fail(lines, Elements + 1, message);
            }
            return consumed;
        }

        private void Fail(List<ImportLine> lines, int line, string error)
        {
            lines.Add(new ImportLine(line, null, null, error));
            Finished = true;
        }
    }

    /// <summary>One NDJSON line as bytes; null for a blank line.</summary>
    private static ImportLine? Parse(int line, ReadOnlySequence<byte> bytes)
    {
        ReadOnlySpan<byte> text = bytes.IsSingleSegment ? bytes.FirstSpan : BuffersExtensions.ToArray(bytes);
        if (text.Length > 0 && text[^1] == (byte)'\r') text = text[..^1];
        if (text.Trim(" \t"u8).IsEmpty) return null;
        if (!System.Text.Unicode.Utf8.IsValid(text)) return new ImportLine(line, null, null, NotUtf8);
        var copy = text.ToArray();
        try
        {
            return Parse(line, () => JsonSerializer.Deserialize<ArchivedStatement>(copy, Json));
        }
        catch (JsonException ex) when (ex.Path is null or "$")
        {
            return new ImportLine(line, null, null,
                text.TrimStart(" \t"u8).StartsWith("{"u8) ? JsonProblems.Describe(ex.Message, "body") : NotAnObject);
        }
    }

    private const string NotAnObject = "Each line must be a JSON object.";
    private const string NotUtf8 = "The line is not valid UTF-8.";
    private const string MustBeAGuid = "'id' must be a GUID.";

    /// <summary>One pass over the line: straight into the statement and its optional id.</summary>
    private static ImportLine Parse(int line, Func<ArchivedStatement?> read)
    {
        ArchivedStatement? archived;
        try
        {
            archived = read();
        }
        catch (JsonException ex) when (ex.Path is not (null or "$"))
        {
            if (ex.Path == "$.id") return new ImportLine(line, null, null, MustBeAGuid, "id");
            var field = JsonProblems.FieldOf(ex.Message, ex.Path);
            // An escaped lone surrogate ("\ud800") is a string that is not text; the parser calls it "not a string".
            var error = ex.InnerException is InvalidOperationException inner && inner.Message.Contains("UTF-16", StringComparison.Ordinal)
                ? $"'{field}' holds an unpaired surrogate escape (\\uD800-\\uDFFF without its pair)."
                : JsonProblems.Describe(ex.Message, field, typeof(ArchivedStatement));
            return new ImportLine(line, null, null, error, field);
        }
        if (archived is null) return new ImportLine(line, null, null, NotAnObject);
        Guid? id = null;
        if (archived.Id is not null)
        {
            if (!Guid.TryParse(archived.Id, out var parsed)) return new ImportLine(line, null, null, MustBeAGuid, "id");
            id = parsed;
        }
        return new ImportLine(line, id, archived.ToStatement(), null);
    }

    /// <summary>A line of an archive: what POST /api/statements takes, and an optional id.</summary>
    private sealed record ArchivedStatement(
        string? Id, string? Party, string? Issue, string? Stance, string? Speaker, string? Quote, string? StatedAt,
        SourceInput? Source, string[]? Conditions, ClaimedByInput? ClaimedBy, PositionLedger.Sources.EvidenceInput? Evidence = null)
    {
        public StateStatement ToStatement() => new(Party, Issue, Stance, Speaker, Quote, StatedAt, Source, Conditions, ClaimedBy, Evidence);
    }

    /// <summary>Validates every line as POST /api/statements would; the errors are keyed "line N.field".</summary>
    public static async Task<Dictionary<string, string[]>> ValidateAsync(
        IReadOnlyList<ImportLine> lines, IQuerySession session, StateStatement.Validator validator,
        PositionLedger.Sources.SourceTexts texts, CancellationToken ct)
    {
        var parties = (await session.Query<Party>().Select(p => p.Id).ToListAsync(ct)).ToHashSet(StringComparer.Ordinal);
        var issues = (await session.Query<Issue>().Select(i => i.Id).ToListAsync(ct)).ToHashSet(StringComparer.Ordinal);
        var sources = await PositionLedger.Sources.EvidenceAnchoring.LoadAsync(
            texts, session, lines.Select(l => l.Statement?.Evidence).OfType<PositionLedger.Sources.EvidenceInput>(), ct);
        var errors = new Dictionary<string, string[]>();
        var seen = new HashSet<Guid>();
        foreach (var line in lines)
        {
            if (errors.Count >= MaxReportedErrors) break;
            if (line.Error is not null) { errors[line.ErrorKey] = [line.Error]; continue; }
            if (line.Id is { } id && !seen.Add(id))
            {
                errors[$"line {line.Line}.id"] = ["The same id appears twice in this batch."];
                continue;
            }
            var result = validator.Validate(line.Statement!);
            foreach (var failure in result.Errors) Add(errors, $"line {line.Line}.{failure.PropertyName}", failure.ErrorMessage);
            if (!result.IsValid) continue;
            var s = line.Statement!;
            if (!parties.Contains(s.Party!)) Add(errors, $"line {line.Line}.party", $"No party '{s.Party}' is registered.");
            if (!issues.Contains(s.Issue!)) Add(errors, $"line {line.Line}.issue", $"No issue '{s.Issue}' is open.");
            if (s.ClaimedBy?.Party is { } by && !parties.Contains(by))
                Add(errors, $"line {line.Line}.claimedBy.party", $"No party '{by}' is registered.");
            if (s.Evidence is not null)
            {
                var (evidence, field, problem) = PositionLedger.Sources.EvidenceAnchoring.Place(sources, s.Evidence);
                if (evidence is null) Add(errors, $"line {line.Line}.{field}", problem!);
                line.Evidence = evidence;
            }
        }
        return errors;
    }

    private static void Add(Dictionary<string, string[]> errors, string key, string message) =>
        errors[key] = errors.TryGetValue(key, out var existing) ? [.. existing, message] : [message];

    /// <summary>
    /// Starts one stream per new statement, in one bulk append with its revisions (<see cref="BulkAppend"/>).
    /// Every event carries who imported it, the request's correlation id and idempotency key, as an
    /// append through a session would.
    /// </summary>
    public static async Task<ImportReport> AppendAsync(
        IReadOnlyList<ImportLine> lines, ImportStamp stamp, BulkAppend append, NpgsqlDataSource db, string eventSchema,
        CancellationToken ct)
    {
        var ids = lines.Select(l => l.Id ?? stamp.IdFor(l.Line) ?? Guid.CreateVersion7()).ToArray();
        // Ids that may already be there: those given, and all of a keyed import's (a retry of one that died).
        var known = stamp.IdempotencyKey is null
            ? lines.Select((l, i) => (l, i)).Where(x => x.l.Id is not null).Select(x => ids[x.i].ToString()).ToArray()
            : ids.Select(id => id.ToString()).ToArray();
        var present = new HashSet<string>(StringComparer.Ordinal);
        if (known.Length > 0)
        {
            await using var command = db.CreateCommand($"select id from {eventSchema}.mt_streams where id = any($1)");
            command.Parameters.Add(new NpgsqlParameter { Value = known });
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct)) present.Add(reader.GetString(0));
        }
        var recordedAt = DateTimeOffset.UtcNow;
        var streams = new List<JasperFx.Events.StreamAction>(lines.Count);
        for (var i = 0; i < lines.Count; i++)
        {
            var (line, id) = (lines[i], ids[i]);
            if (present.Contains(id.ToString())) continue;
            var stated = new JasperFx.Events.Event<PositionStated>(new PositionStated(id, line.Statement!.ToContent(line.Evidence)))
            {
                Timestamp = recordedAt,
                UserName = stamp.UserName,
                CorrelationId = stamp.CorrelationId,
            };
            if (stamp.IdempotencyKey is { } key) stated.SetHeader(Audit.IdempotencyKeyHeader, key);
            var stream = JasperFx.Events.StreamAction.Start(id.ToString(), stated);
            stream.AggregateType = typeof(Statement);
            streams.Add(stream);
        }
        await append.AppendAsync(streams, ct);
        var appended = streams.Select(s => s.Key!).ToList();
        return new ImportReport(lines.Count, appended.Count, present.Count, appended);
    }

    /// <summary>
    /// Under review: one proposal per new statement, in one transaction (all or nothing). A proposal's id is its
    /// statement's, so a line already proposed, or already in the ledger, is counted as present and skipped.
    /// </summary>
    public static async Task<ImportProposed> ProposeAsync(
        IReadOnlyList<ImportLine> lines, ImportStamp stamp, IDocumentStore store, NpgsqlDataSource db, CancellationToken ct)
    {
        var ids = lines.Select(l => l.Id ?? stamp.IdFor(l.Line) ?? Guid.CreateVersion7()).ToArray();
        var keys = ids.SelectMany(id => new[] { id.ToString(), Reviews.Proposal.StreamKey(id) }).ToArray();
        var present = new HashSet<string>(StringComparer.Ordinal);
        var streams = $"{store.Options.Events.DatabaseSchemaName}.mt_streams";
        await using (var command = db.CreateCommand($"select id from {streams} where id = any($1)"))
        {
            command.Parameters.Add(new NpgsqlParameter { Value = keys });
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct)) present.Add(reader.GetString(0));
        }
        await using var session = store.LightweightSession();
        session.LastModifiedBy = stamp.UserName;
        session.CorrelationId = stamp.CorrelationId;
        if (stamp.IdempotencyKey is { } key) session.SetHeader(Audit.IdempotencyKeyHeader, key);
        var proposed = new List<string>();
        for (var i = 0; i < lines.Count; i++)
        {
            var id = ids[i];
            if (present.Contains(id.ToString()) || present.Contains(Reviews.Proposal.StreamKey(id))) continue;
            var stated = new PositionStated(id, lines[i].Statement!.ToContent(lines[i].Evidence));
            session.Events.StartStream<Reviews.Proposal>(Reviews.Proposal.StreamKey(id),
                new Reviews.ChangeProposed(id, id, 0, stamp.UserName ?? "", stated));
            proposed.Add(id.ToString());
        }
        await session.SaveChangesAsync(ct);
        return new ImportProposed(lines.Count, proposed.Count, lines.Count - proposed.Count, proposed);
    }
}

/// <summary>What every imported event records about who appended it.</summary>
public sealed record ImportStamp(string? UserName, string? CorrelationId, string? IdempotencyKey)
{
    /// <summary>
    /// A keyed import's line without an id of its own gets one derived from the credential, the key and
    /// the line number (a name-based UUID, version 8). If the process dies after the batch committed but
    /// before its response was stored with the key, the retry finds every line present: each lands once.
    /// </summary>
    public Guid? IdFor(int line)
    {
        if (IdempotencyKey is null) return null;
        Span<byte> hash = stackalloc byte[32];
        System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes($"{UserName}\n{IdempotencyKey}\n{line}"), hash);
        hash[6] = (byte)((hash[6] & 0x0F) | 0x80);
        hash[8] = (byte)((hash[8] & 0x3F) | 0x80);
        return new Guid(hash[..16], bigEndian: true);
    }

    public static ImportStamp Of(HttpContext context)
    {
        var key = context.Request.Headers[Idempotency.Header].ToString();
        return new ImportStamp(context.User.Identity?.Name, context.CorrelationId(), key.Length > 0 ? key : null);
    }
}

/// <summary>The import reads its body as a stream; this is its shape for the OpenAPI document.</summary>
public sealed class ImportBodyAttribute : RequestBodyAttribute
{
    /// <summary>One archived statement, for the description's examples (the contract test imports them).</summary>
    public const string ExampleLine =
        "{\"party\": \"ukraine\", \"issue\": \"ceasefire-30-day\", \"stance\": \"accepts\", \"speaker\": \"Volodymyr Zelenskiy\", "
        + "\"quote\": \"Ukraine is ready to accept this proposal.\", \"statedAt\": \"2025-03-11\", \"source\": {\"outlet\": \"Reuters\"}}";

    /// <summary>The schema of one imported statement: a statement with an optional id of its own.</summary>
    public const string ItemSchema = "ImportedStatement";

    /// <summary>
    /// The statement's schema with an <c>id</c> beside its properties. A copy rather than an allOf: the statement
    /// admits no other properties, which an allOf would apply to the id too.
    /// </summary>
    public static OpenApiSchema Item(OpenApiSchema statement) => new()
    {
        Type = JsonSchemaType.Object,
        Description = "A statement as for POST /api/statements, with an optional id: a line whose id is already in the "
            + "ledger is counted as present and skipped.",
        Required = new HashSet<string>(statement.Required ?? new HashSet<string>()),
        AdditionalPropertiesAllowed = statement.AdditionalPropertiesAllowed,
        AnyOf = statement.AnyOf,
        Properties = new Dictionary<string, IOpenApiSchema>(statement.Properties ?? new Dictionary<string, IOpenApiSchema>())
        {
            ["id"] = new OpenApiSchema
            {
                Type = JsonSchemaType.String, Format = "uuid", Description = "The statement's id; default: a new one.",
            },
        },
    };

    public override OpenApiRequestBody Describe(OpenApiDocument? document) => new()
    {
        Required = true,
        Description = "Statements as for POST /api/statements, each with an optional id: NDJSON (one per line) or a JSON array.",
        Content = new Dictionary<string, OpenApiMediaType>
        {
            ["application/x-ndjson"] = new() { Schema = new OpenApiSchema { Type = JsonSchemaType.String } },
            ["application/json"] = new()
            {
                Schema = new OpenApiSchema
                {
                    Type = JsonSchemaType.Array,
                    Items = new OpenApiSchemaReference(ItemSchema, document),
                },
            },
        },
    };
}

public static class ImportStatementsEndpoint
{
    public const string Route = "/api/imports";

    [WolverinePost(Route, OperationId = "importStatements")]
    [Tags(ApiTags.Imports)]
    [EndpointSummary("Import an archive of statements")]
    [EndpointDescription("NDJSON (one statement per line) or a JSON array, each as for stateStatement with an optional id of "
        + "its own. All or nothing: one invalid line and nothing is appended, and every invalid line is named (line 3.quote). "
        + "Lines whose id is already in the ledger are counted as present and skipped, so an archive loads once. Under review, "
        + "202: each new statement waits as a proposal (with the statement's id) for a verifier. Needs an editor key.")]
    [Consumes("application/x-ndjson", "application/json")]
    [ImportBody]
    [RequestExample(ImportBodyAttribute.ExampleLine + "\n", MediaType = "application/x-ndjson")]
    [RequestExample("[" + ImportBodyAttribute.ExampleLine + "]")]
    public static async Task<Results<Ok<ImportReport>, Accepted<ImportProposed>, ProblemHttpResult>> Post(
        HttpRequest request, IQuerySession session, BulkAppend append, NpgsqlDataSource db, StateStatement.Validator validator,
        PositionLedger.Sources.SourceTexts texts, Reviews.Editorial editorial, CancellationToken ct)
    {
        var mediaType = request.ContentType?.Split(';')[0].Trim().ToLowerInvariant();
        if (mediaType is not ("application/x-ndjson" or "application/json"))
        {
            return TypedResults.Problem(new HttpValidationProblemDetails(new Dictionary<string, string[]>
            {
                ["Content-Type"] = ["Send application/x-ndjson or a JSON array as application/json."],
            })
            {
                Status = StatusCodes.Status415UnsupportedMediaType,
                Title = "Unsupported media type",
            });
        }

        var lines = new List<ImportLine>();
        await foreach (var line in StatementImport.ReadAsync(request.Body, mediaType == "application/json", ct))
        {
            if (lines.Count == StatementImport.MaxLines)
                return TypedResults.Problem(Problems.Invalid(
                    "body", $"A batch holds at most {StatementImport.MaxLines} statements; split the archive."));
            lines.Add(line);
        }
        if (lines.Count == 0) return TypedResults.Problem(Problems.Invalid("body", "The batch holds no statements."));

        var errors = await StatementImport.ValidateAsync(lines, session, validator, texts, ct);
        if (errors.Count > 0)
        {
            var problem = Problems.Invalid(errors);
            problem.Detail =
                $"{errors.Keys.Select(k => k.Split('.')[0]).Distinct().Count()} of {lines.Count} lines are invalid; nothing was appended.";
            return TypedResults.Problem(problem);
        }
        if (editorial.RequireReview)
            return TypedResults.Accepted("/api/reviews",
                await StatementImport.ProposeAsync(lines, ImportStamp.Of(request.HttpContext), session.DocumentStore, db, ct));
        // One bulk append: the whole batch or nothing.
        await append.RecoverAsync(ct);
        return TypedResults.Ok(await StatementImport.AppendAsync(
            lines, ImportStamp.Of(request.HttpContext), append, db, session.DocumentStore.Options.Events.DatabaseSchemaName, ct));
    }
}
