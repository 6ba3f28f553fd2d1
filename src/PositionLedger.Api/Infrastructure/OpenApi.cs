using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.OpenApi;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;
using Wolverine.Http;

namespace PositionLedger.Infrastructure;

/// <summary>The resources the API description groups its operations by; each slice tags its endpoint with one.</summary>
public static class ApiTags
{
    public const string Parties = "Parties";
    public const string Issues = "Issues";
    public const string Statements = "Statements";
    public const string Stances = "Stances";
    public const string Timeline = "Timeline";
    public const string Search = "Search";
    public const string Events = "Events";
    public const string Imports = "Imports";
    public const string Activity = "Activity";
    public const string Sources = "Sources";
    public const string Analysis = "Analysis";
    public const string Reviews = "Reviews";

    public static readonly IReadOnlyDictionary<string, string> Descriptions = new Dictionary<string, string>
    {
        [Parties] = "States and organisations whose stances are tracked (slug id, name, aliases). Registered once, never edited.",
        [Issues] = "Negotiable questions (slug id, title, description). Opened once, never edited.",
        [Statements] = "Stated positions of a party on an issue, or (with claimedBy) another party's claim about it. "
            + "Every write is an event: statements are corrected and retracted, never updated in place or deleted.",
        [Stances] = "Each party's stance per issue as of a valid time (asOf) and as the ledger knew it at a record time (knownAt), "
            + "with the basis statement and the open claims beside it.",
        [Timeline] = "Statements and claims in statedAt order, paged by a cursor that pins knownAt.",
        [Search] = "Full-text search over the current quotes and speakers (PostgreSQL, English stemming, web-search syntax).",
        [Events] = "The raw event log in record order: pages, a live feed (server-sent events) and an NDJSON export.",
        [Imports] = "Bulk import of archived statements: all or nothing per batch, every invalid line named.",
        [Activity] = "Recording activity per UTC day, from an asynchronous projection.",
        [Analysis] = "What the record shows over time: claims that came true or not, reversals, and how far apart the "
            + "parties are on an issue; the same asOf/knownAt clocks and evidence filter as every answer.",
        [Reviews] = "With Editorial:RequireReview, every statement write is a proposal that reaches readers only once a verifier "
            + "other than its author approves it (its record time is the approval's); the queue, approvals and rejections.",
        [Sources] = "Archived documents that statements are anchored in (W3C Web Annotation selectors, code points), "
            + "registered once with their text, language and translation provenance; their annotations, also as JSON-LD.",
    };
}

/// <summary>
/// The OpenAPI document at /openapi/v1.json: ASP.NET's own generator over the Wolverine endpoints. Each slice
/// describes its operation (tag, summary, description, operation id, parameters, example body); this adds what
/// every operation shares: the problem responses the pipeline can give, security, and the document's own parts.
/// </summary>
public static class OpenApi
{
    public const string ProblemSchema = "Problem";
    public const string ProblemMediaType = "application/problem+json";

    public static IServiceCollection AddPositionLedgerOpenApi(this IServiceCollection services) =>
        services.AddOpenApi(options =>
        {
            options.AddOperationTransformer((operation, context, _) =>
            {
                Describe(operation, context);
                return Task.CompletedTask;
            });
            options.AddDocumentTransformer((document, context, _) =>
            {
                Describe(document, context.ApplicationServices.GetRequiredService<IOptions<OpenApiContributions>>().Value);
                return Task.CompletedTask;
            });
        });

    private static void Describe(OpenApiDocument document, OpenApiContributions contributions)
    {
        document.Info.Title = "PositionLedger";
        document.Info.Version = "1";
        document.Info.Description = "Event-sourced tracker of stated positions in negotiations, with as-of (valid time) "
            + "and known-at (record time) queries. Errors are RFC 9457 problem details; a 400 names each field in `errors`.";
        document.Info.License = new OpenApiLicense { Name = "MIT", Identifier = "MIT" };
        // The generator names the address the request came to, with a trailing slash; paths start with one already.
        foreach (var server in document.Servers ?? []) server.Url = server.Url?.TrimEnd('/');

        foreach (var tag in document.Tags ?? new HashSet<OpenApiTag>())
            tag.Description = ApiTags.Descriptions.TryGetValue(tag.Name ?? "", out var description) ? description : null;

        var components = document.Components ??= new OpenApiComponents();
        components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
        components.SecuritySchemes[ApiKeyAuthentication.SchemeName] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.Http,
            Scheme = "bearer",
            Description = "An API key from the Auth:ApiKeys configuration: writes need an editor key; reads need a reader "
                + "or editor key only where Auth:RequireReaderForReads is on.",
        };
        var schemas = components.Schemas ??= new Dictionary<string, IOpenApiSchema>();
        schemas[ProblemSchema] = Problem();
        // Replaced by the one problem schema above (they forbid errors and traceId, which real problems carry).
        schemas.Remove("ProblemDetails");
        schemas.Remove("HttpValidationProblemDetails");
        // A correction names only the fields it changes; claimedBy is held as raw JSON (absent, null and an object differ),
        // which the generator cannot see through. A JsonElement parameter cannot carry a default, so this is said here.
        if (schemas.TryGetValue("CorrectStatement", out var correction) && correction is OpenApiSchema correctionSchema)
        {
            correctionSchema.Required = new HashSet<string> { "expectedVersion", "reason" };
            correctionSchema.Properties!["claimedBy"] = new OpenApiSchema
            {
                OneOf = [new OpenApiSchema { Type = JsonSchemaType.Null }, new OpenApiSchemaReference("ClaimedByInput", document)],
            };
            schemas.Remove("JsonElement");
        }
        foreach (var adjust in contributions.Schemas) adjust(document, schemas);
        RequireNonNullInRequests(document, schemas);
        DeclareVocabularies(document, schemas, contributions.Vocabularies);
    }

    /// <summary>A schema that only requires this property (for an anyOf of alternatives).</summary>
    public static OpenApiSchema Requiring(string property) => new() { Required = new HashSet<string> { property } };

    /// <summary>A string schema that takes only these values (and null where <paramref name="nullable"/>).</summary>
    public static OpenApiSchema Enumeration(IEnumerable<string> values, bool nullable = false) => new()
    {
        Type = nullable ? JsonSchemaType.String | JsonSchemaType.Null : JsonSchemaType.String,
        Enum = [.. values.Select(v => (JsonNode)JsonValue.Create(v)), .. nullable ? new JsonNode[] { null! } : []],
    };

    /// <summary>
    /// Stances and evidence kinds travel as text (so that a wrong one is named in a 400); the description lists the
    /// closed vocabularies, so that generated clients get enums. Every schema that has such a property says so.
    /// </summary>
    private static void DeclareVocabularies(
        OpenApiDocument document, IDictionary<string, IOpenApiSchema> schemas, IReadOnlyList<OpenApiContributions.Vocabulary> vocabularies)
    {
        var inline = document.Paths.Values
            .SelectMany(p => p.Operations?.Values ?? Enumerable.Empty<OpenApiOperation>())
            .SelectMany(o => (o.Responses?.Values ?? Enumerable.Empty<IOpenApiResponse>())
                .SelectMany(r => r.Content?.Values ?? Enumerable.Empty<OpenApiMediaType>())
                .Concat(o.RequestBody?.Content?.Values ?? Enumerable.Empty<OpenApiMediaType>()))
            .Select(m => m.Schema);
        var pending = new Stack<IOpenApiSchema>(schemas.Values.Concat(inline.OfType<IOpenApiSchema>()));
        var seen = new HashSet<IOpenApiSchema>(ReferenceEqualityComparer.Instance);
        while (pending.TryPop(out var schema))
        {
            if (schema is not OpenApiSchema concrete || !seen.Add(concrete)) continue;
            foreach (var nested in (concrete.Properties?.Values ?? []).Concat(concrete.OneOf ?? []).Concat(concrete.AnyOf ?? [])
                .Concat(concrete.AllOf ?? []))
                pending.Push(nested);
            if (concrete.Items is { } items) pending.Push(items);
            if (concrete.Properties is not { } properties) continue;
            foreach (var (name, property) in properties.ToList())
            {
                var words = vocabularies
                    .FirstOrDefault(v => v.Property == name && (v.Beside is null || properties.ContainsKey(v.Beside)))?.Words;
                if (words is null || property is not OpenApiSchema { Type: { } type } text || !type.HasFlag(JsonSchemaType.String))
                    continue;
                properties[name] = Enumeration(words, nullable: type.HasFlag(JsonSchemaType.Null));
                ((OpenApiSchema)properties[name]).Description = text.Description;
            }
        }
    }

    /// <summary>
    /// Request records hold every field as nullable, so that a missing one is reported against its name rather
    /// than failing deserialization; the generator then allows null for fields the server requires. Every
    /// required request field is refused when null (the validators say NotEmpty/NotNull), so a body schema's
    /// required fields are not nullable. Optional ones keep null: it means "absent".
    /// </summary>
    private static void RequireNonNullInRequests(OpenApiDocument document, IDictionary<string, IOpenApiSchema> schemas)
    {
        var seen = new HashSet<string>();
        var pending = new Stack<IOpenApiSchema>(document.Paths.Values
            .SelectMany(p => p.Operations?.Values ?? Enumerable.Empty<OpenApiOperation>())
            .SelectMany(o => o.RequestBody?.Content?.Values ?? [])
            .Select(m => m.Schema).OfType<IOpenApiSchema>());
        while (pending.TryPop(out var schema))
        {
            if (schema is OpenApiSchemaReference { Reference.Id: { } id })
            {
                if (seen.Add(id) && schemas.TryGetValue(id, out var target)) pending.Push(target);
                continue;
            }
            if (schema is not OpenApiSchema concrete) continue;
            foreach (var nested in (concrete.Properties?.Values ?? []).Concat(concrete.OneOf ?? []).Concat(concrete.AnyOf ?? []))
                pending.Push(nested);
            if (concrete.Items is { } items) pending.Push(items);
            foreach (var name in concrete.Required ?? new HashSet<string>())
            {
                if (concrete.Properties?.TryGetValue(name, out var property) != true) continue;
                if (property is OpenApiSchema { Type: { } type } plain && type.HasFlag(JsonSchemaType.Null))
                    plain.Type = type & ~JsonSchemaType.Null;
                else if (property is OpenApiSchema { OneOf: [OpenApiSchema { Type: JsonSchemaType.Null }, var only] })
                    concrete.Properties[name] = only;
            }
        }
    }

    /// <summary>
    /// What every problem the app writes looks like (see <see cref="JsonProblems.Shape"/>): <c>type</c> links to the
    /// status code's definition, <c>errors</c> maps each field to its messages (400, 413, 415, 422), and ASP.NET adds
    /// the request's <c>traceId</c>.
    /// </summary>
    private static OpenApiSchema Problem() => new()
    {
        Type = JsonSchemaType.Object,
        Description = "RFC 9457 problem details.",
        Required = new HashSet<string> { "type", "status" },
        Properties = new Dictionary<string, IOpenApiSchema>
        {
            ["type"] = new OpenApiSchema
            {
                Type = JsonSchemaType.String, Format = "uri", Description = "The definition of the status code.",
            },
            ["title"] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "A short summary of the kind of problem." },
            ["status"] = new OpenApiSchema { Type = JsonSchemaType.Integer, Format = "int32", Minimum = "400", Maximum = "599" },
            ["detail"] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "What went wrong with this request, in words." },
            ["instance"] = new OpenApiSchema { Type = JsonSchemaType.String },
            ["errors"] = new OpenApiSchema
            {
                Type = JsonSchemaType.Object,
                Description = "Each field at fault (a body field such as source.url, a query parameter, a route value, "
                    + "a header, or `line N.field` in an import) with what is wrong with it.",
                AdditionalProperties = new OpenApiSchema
                {
                    Type = JsonSchemaType.Array, Items = new OpenApiSchema { Type = JsonSchemaType.String },
                },
            },
            ["traceId"] = new OpenApiSchema
            {
                Type = JsonSchemaType.String, Description = "The request's trace id, for the server's logs.",
            },
        },
    };

    private static void Describe(OpenApiOperation operation, OpenApiOperationTransformerContext context)
    {
        var description = context.Description;
        var metadata = description.ActionDescriptor.EndpointMetadata;
        var isWrite = description.HttpMethod != "GET";
        var needsKey = metadata.OfType<IAuthorizeData>().Any();
        var route = description.RelativePath ?? "";

        // A key is required where the endpoint says so; elsewhere it is optional (an empty requirement).
        operation.Security = needsKey
            ? [Bearer(context.Document)]
            : [new OpenApiSecurityRequirement(), Bearer(context.Document)];

        foreach (var parameter in metadata.OfType<ParameterAttribute>()) parameter.Apply(operation);
        if (isWrite) IdempotencyKeyParameter(operation);
        if (operation.RequestBody is null && metadata.OfType<RequestBodyAttribute>().FirstOrDefault() is { } body)
            operation.RequestBody = body.Describe(context.Document);
        foreach (var example in metadata.OfType<RequestExampleAttribute>()) example.Apply(operation);

        var responses = operation.Responses ??= new OpenApiResponses();
        // Wolverine lists a 404 for most endpoints; only a route that names something can miss it.
        if (!route.Contains('{')) responses.Remove("404");
        if (responses.TryGetValue("201", out var created) && created is OpenApiResponse createdResponse)
        {
            createdResponse.Headers ??= new Dictionary<string, IOpenApiHeader>();
            createdResponse.Headers["Location"] = new OpenApiHeader
            {
                Description = "Where the new resource is read.",
                Schema = new OpenApiSchema { Type = JsonSchemaType.String },
            };
        }

        if (!isWrite && SettledReads.Caches("/" + route)) DescribeCaching(operation, responses);

        // Every /api request is checked for clean query and route text and may carry a query the route refuses.
        responses["400"] = Problem(context.Document, "The request is invalid: `errors` names each field (body field, query "
            + "parameter, route value or header) and what is wrong with it. Nothing was appended.");
        if (needsKey)
        {
            responses["401"] = Problem(context.Document, "No API key, or an unknown one.");
            responses["403"] = Problem(context.Document,
                isWrite ? "The key's role may not write: writes need an editor key." : "The key's role may not read.");
        }
        else if (metadata.OfType<Reviews.PendingViewAttribute>().Any())
        {
            responses["401"] = Problem(context.Document, "view=pending without an API key, or with an unknown one.");
            responses["403"] = Problem(context.Document, "view=pending with a key that is neither an editor's nor a verifier's.");
        }
        if (route.Contains('{')) responses["404"] = Problem(context.Document, "Nothing is registered under that id.");
        if (isWrite)
        {
            responses["409"] = Problem(context.Document, "Conflict: the id exists, the statement changed since expectedVersion, "
                + "or a request with this Idempotency-Key is still being processed.");
            responses["413"] = Problem(context.Document, "The body is too large.");
            responses["415"] = Problem(context.Document, "The body's Content-Type is missing or not one this operation takes.");
            responses["422"] = Problem(context.Document, "This Idempotency-Key was used for a different request.");
        }
        responses["429"] = Problem(context.Document, metadata.OfType<EnableRateLimitingAttribute>().Any()
            ? "Too many writes for this key, or too many wrong keys from this address; see Retry-After."
            : "Too many wrong API keys from this address; see Retry-After.");
        responses["503"] = Problem(context.Document, "The database is unavailable; retry after a few seconds (see Retry-After).");
    }

    /// <summary>The caching headers of <see cref="SettledReads"/>, and the 304 a conditional request gets.</summary>
    private static void DescribeCaching(OpenApiOperation operation, OpenApiResponses responses)
    {
        (operation.Parameters ??= []).Add(new OpenApiParameter
        {
            Name = HeaderNames.IfNoneMatch,
            In = ParameterLocation.Header,
            Description = "An ETag of an earlier answer: a 304 without a body when the answer would be the same.",
            Schema = new OpenApiSchema { Type = JsonSchemaType.String },
        });
        if (responses.TryGetValue("200", out var ok) && ok is OpenApiResponse okResponse)
        {
            okResponse.Headers ??= new Dictionary<string, IOpenApiHeader>();
            okResponse.Headers[HeaderNames.ETag] = Header("Strong for a settled knownAt (the answer never changes), weak otherwise.");
            okResponse.Headers[HeaderNames.CacheControl] = Header("`public, max-age=31536000, immutable` for a settled knownAt; "
                + "otherwise a max-age of a few seconds (Reads:CacheSeconds). `private` where reads need a key.");
            okResponse.Headers[ReadReplica.AnsweredByHeader] = Header("`replica` when a streaming replica answered (a knownAt "
                + "it has settled), `primary` otherwise.");
            okResponse.Headers[HeaderNames.ContentLocation] = Header("Without knownAt: the same question pinned to the knownAt "
                + "it was answered for; that URL's answer becomes immutable once its knownAt is settled.");
        }
        responses["304"] = new OpenApiResponse { Description = "Not modified: the answer is the one the If-None-Match ETag names." };
    }

    private static OpenApiHeader Header(string description) =>
        new() { Description = description, Schema = new OpenApiSchema { Type = JsonSchemaType.String } };

    private static OpenApiSecurityRequirement Bearer(OpenApiDocument? document) =>
        new() { [new OpenApiSecuritySchemeReference(ApiKeyAuthentication.SchemeName, document)] = [] };

    private static OpenApiResponse Problem(OpenApiDocument? document, string description) => new()
    {
        Description = description,
        Content = new Dictionary<string, OpenApiMediaType>
        {
            [ProblemMediaType] = new() { Schema = new OpenApiSchemaReference(ProblemSchema, document) },
        },
    };

    private static void IdempotencyKeyParameter(OpenApiOperation operation) =>
        (operation.Parameters ??= []).Add(new OpenApiParameter
        {
            Name = Idempotency.Header,
            In = ParameterLocation.Header,
            Description = "Makes the write safe to retry: a repeat with the same key and body returns the first response and "
                + "appends nothing; the same key with another body is a 422. Keys are scoped per API key.",
            Schema = new OpenApiSchema { Type = JsonSchemaType.String, MinLength = 1, MaxLength = Idempotency.MaxKeyLength },
        });

    /// <summary>An IResult endpoint gets a meaningless "200 IResult" entry from the generator; drop it.</summary>
    public static void DropUntypedResults(HttpChain chain) =>
        chain.Finally(endpoint =>
        {
            foreach (var produces in endpoint.Metadata.OfType<IProducesResponseTypeMetadata>()
                .Where(m => m.Type == typeof(IResult))
                .ToList())
                endpoint.Metadata.Remove(produces);
        });
}

/// <summary>What kind of text a query, route or header value must be; the server parses it as such.</summary>
public enum ParameterValue
{
    Text,

    /// <summary>A date YYYY-MM-DD or an ISO-8601 instant with offset (<see cref="Instants"/>).</summary>
    DateOrInstant,

    /// <summary>A date YYYY-MM-DD.</summary>
    Date,

    /// <summary>A whole number from <see cref="ParameterAttribute.Minimum"/> to <see cref="ParameterAttribute.Maximum"/>.</summary>
    WholeNumber,

    /// <summary>A registered id: lower-case letters and digits in hyphenated words (<see cref="Rules.SlugMaxLength"/> at most).</summary>
    Slug,

    /// <summary>A statement's id: a GUID.</summary>
    StatementId,
}

/// <summary>
/// Describes one query, route or header value of an endpoint. Endpoints take query values as text, so that a bad
/// one is reported against its name; this says what the text must be, so that clients get typed parameters.
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = true)]
public class ParameterAttribute(string name, string description) : Attribute
{
    /// <summary>Instants' input pattern: a date, or a date and time with an offset (seconds and fractions optional).</summary>
    public const string DateOrInstantPattern = @"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,7})?)?(Z|[+-]\d{2}:\d{2}))?$";

    /// <summary>The slug rule of <see cref="Rules"/>, as a pattern a client can check.</summary>
    public const string SlugPattern = "^[a-z0-9]+(-[a-z0-9]+)*$";

    public string Name { get; } = name;
    public string Description { get; } = description;
    public ParameterValue Value { get; set; }
    public long Minimum { get; set; }
    public long Maximum { get; set; } = long.MaxValue;
    public int MaxLength { get; set; }
    public bool Required { get; set; }
    public bool InHeader { get; set; }
    public string? Example { get; set; }

    public virtual void Apply(OpenApiOperation operation) => Describe(operation);

    /// <summary>The parameter as described, for a subclass to refine.</summary>
    protected OpenApiParameter Describe(OpenApiOperation operation)
    {
        var parameters = operation.Parameters ??= [];
        var parameter = parameters.OfType<OpenApiParameter>().FirstOrDefault(p => p.Name == Name);
        if (parameter is null)
        {
            parameter = new OpenApiParameter { Name = Name, In = InHeader ? ParameterLocation.Header : ParameterLocation.Query };
            parameters.Add(parameter);
        }
        parameter.Description = Description;
        parameter.Required = parameter.In == ParameterLocation.Path || Required;
        parameter.Schema = Value switch
        {
            ParameterValue.DateOrInstant => new OpenApiSchema
            {
                Type = JsonSchemaType.String,
                Pattern = DateOrInstantPattern,
                Description = "A date (YYYY-MM-DD) or a date-time with an offset (ISO 8601), from 1800-01-01 on.",
            },
            ParameterValue.Date => new OpenApiSchema { Type = JsonSchemaType.String, Format = "date" },
            ParameterValue.Slug => new OpenApiSchema
            {
                Type = JsonSchemaType.String, Pattern = SlugPattern, MinLength = 1, MaxLength = Rules.SlugMaxLength,
            },
            ParameterValue.StatementId => new OpenApiSchema { Type = JsonSchemaType.String, Format = "uuid" },
            ParameterValue.WholeNumber => new OpenApiSchema
            {
                Type = JsonSchemaType.Integer,
                Format = "int64",
                Minimum = Minimum.ToString(System.Globalization.CultureInfo.InvariantCulture),
                Maximum = Maximum == long.MaxValue ? null : Maximum.ToString(System.Globalization.CultureInfo.InvariantCulture),
            },
            _ => new OpenApiSchema
            {
                Type = JsonSchemaType.String, MinLength = Required ? 1 : null, MaxLength = MaxLength > 0 ? MaxLength : null,
            },
        };
        if (Example is not null)
            parameter.Example = Value == ParameterValue.WholeNumber
                ? JsonValue.Create(long.Parse(Example, System.Globalization.CultureInfo.InvariantCulture))
                : JsonValue.Create(Example);
        return parameter;
    }
}

/// <summary>
/// A query parameter that lists words of a closed vocabulary, comma-separated: described as an array in form style
/// without explode, so generators build the list and know the words.
/// </summary>
public class WordListParameterAttribute(string name, string description, string[] words) : ParameterAttribute(name, description)
{
    public override void Apply(OpenApiOperation operation)
    {
        var parameter = Describe(operation);
        parameter.Schema = new OpenApiSchema
        {
            Type = JsonSchemaType.Array, MinItems = 1, UniqueItems = true, Items = OpenApi.Enumeration(words),
        };
        parameter.Style = ParameterStyle.Form;
        parameter.Explode = false;
        if (Example is not null) parameter.Example = new JsonArray([.. Example.Split(',').Select(w => (JsonNode)JsonValue.Create(w))]);
    }
}

/// <summary>One word of a closed vocabulary: described as an enum, so generators know the words.</summary>
public class OneOfParameterAttribute(string name, string description, string[] words) : ParameterAttribute(name, description)
{
    public override void Apply(OpenApiOperation operation) => Describe(operation).Schema = OpenApi.Enumeration(words);
}

/// <summary>
/// What the slices add to the description: the closed vocabularies of their text properties (so that generated
/// clients get enums) and adjustments of their own schemas. Registered with <c>services.Configure</c> in each slice.
/// </summary>
public sealed class OpenApiContributions
{
    /// <param name="Property">A property of that name...</param>
    /// <param name="Beside">...in a schema that also has this property (null: any schema).</param>
    public sealed record Vocabulary(string Property, string? Beside, IReadOnlyCollection<string> Words);

    public List<Vocabulary> Vocabularies { get; } = [];

    /// <summary>Run in registration order, before requests' required fields are made non-null.</summary>
    public List<Action<OpenApiDocument, IDictionary<string, IOpenApiSchema>>> Schemas { get; } = [];
}

/// <summary>A request body the server accepts, shown in the description and sent by the contract test.</summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = true)]
public sealed class RequestExampleAttribute(string body) : Attribute
{
    public string Body { get; } = body;
    public string MediaType { get; set; } = "application/json";

    public void Apply(OpenApiOperation operation)
    {
        if (operation.RequestBody?.Content?.TryGetValue(MediaType, out var media) != true || media is null) return;
        media.Example = MediaType == "application/json" ? JsonNode.Parse(Body) : JsonValue.Create(Body);
    }
}

/// <summary>
/// An endpoint that reads its body as a stream describes that body itself (the generator cannot see its shape),
/// with an attribute deriving from this one on its method.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public abstract class RequestBodyAttribute : Attribute
{
    public abstract OpenApiRequestBody Describe(OpenApiDocument? document);
}
