using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Json.Schema;

namespace PositionLedger.Tests.Contract;

/// <summary>
/// The served /openapi/v1.json read as a client generator reads it: its operations, their parameters and examples,
/// and what each says it answers. <see cref="CheckAsync"/> holds a real response to that: the status code and media
/// type are described, and the body is valid against the described schema (OpenAPI 3.1 schemas are JSON Schema
/// 2020-12, evaluated by JsonSchema.Net with format validation on).
/// </summary>
public sealed class ServedDescription
{
    private const string ComponentSchemas = "#/components/schemas/";

    private readonly string _definitions;
    private readonly Dictionary<string, JsonSchema> _schemas = [];

    private ServedDescription(JsonObject document)
    {
        Document = document;
        _definitions = document["components"]!["schemas"]!.ToJsonString()
            .Replace(ComponentSchemas, "#/$defs/", StringComparison.Ordinal);
        Operations = [.. document["paths"]!.AsObject().SelectMany(path => path.Value!.AsObject()
            .Select(op => new DescribedOperation(op.Key.ToUpperInvariant(), path.Key, op.Value!.AsObject())))];
    }

    public JsonObject Document { get; }

    public IReadOnlyList<DescribedOperation> Operations { get; }

    public static async Task<ServedDescription> ReadAsync(HttpClient client) =>
        new(JsonNode.Parse(await client.GetStringAsync("/openapi/v1.json"))!.AsObject());

    public DescribedOperation Operation(string method, string path) =>
        Operations.Single(o => o.Method == method && o.Path == path);

    /// <summary>The response, held to the operation's description; the body parsed when it is JSON.</summary>
    public async Task<JsonNode?> CheckAsync(DescribedOperation operation, HttpResponseMessage response, bool readBody = true)
    {
        var status = ((int)response.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var text = readBody ? await response.Content.ReadAsStringAsync() : "";
        var what = $"{operation} answered {status} {Shorten(text)}";
        var described = operation.Spec["responses"]![status] ?? operation.Spec["responses"]!["default"];
        described.ShouldNotBeNull($"{what}: that status is not described");
        var content = described["content"]?.AsObject();
        if (content is null || content.Count == 0)
        {
            text.ShouldBeEmpty($"{what}: the description gives this status no body");
            return null;
        }
        var mediaType = response.Content.Headers.ContentType?.MediaType;
        content.Select(c => c.Key).ShouldContain(mediaType, $"{what}: media type {mediaType} is not described");
        if (!readBody || mediaType is null || !(mediaType == "application/json" || mediaType.EndsWith("+json", StringComparison.Ordinal)))
            return null;

        var body = JsonNode.Parse(text);
        var schema = Schema(content[mediaType]!["schema"]!);
        var result = schema.Evaluate(body, new EvaluationOptions { OutputFormat = OutputFormat.List, RequireFormatValidation = true });
        result.IsValid.ShouldBeTrue($"{what}: not valid against the described schema: " + string.Join("; ", result.Details
            .Where(d => d.HasErrors)
            .SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation} ({d.EvaluationPath}): {e.Value}"))));
        return body;
    }

    /// <summary>The schema with the document's components beside it, so that its references resolve.</summary>
    private JsonSchema Schema(JsonNode schema)
    {
        var text = schema.ToJsonString().Replace(ComponentSchemas, "#/$defs/", StringComparison.Ordinal);
        if (_schemas.TryGetValue(text, out var known)) return known;
        var root = $$"""
            {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": "https://contract.test/{{_schemas.Count}}",
             "$defs": {{_definitions}}, "allOf": [{{text}}]}
            """;
        return _schemas[text] = JsonSchema.FromText(root);
    }

    private static string Shorten(string text) => text.Length <= 600 ? text : text[..600] + "...";
}

/// <summary>One operation of the description: a method on a path template, as the document states it.</summary>
public sealed record DescribedOperation(string Method, string Path, JsonObject Spec)
{
    public IEnumerable<JsonObject> Parameters => Spec["parameters"]?.AsArray().Select(p => p!.AsObject()) ?? [];

    public JsonObject? Body => Spec["requestBody"]?["content"]?.AsObject();

    public bool NeedsKey => Spec["security"]!.AsArray().All(requirement => requirement!.AsObject().Count > 0);

    public IReadOnlyCollection<string> Responses => [.. Spec["responses"]!.AsObject().Select(r => r.Key)];

    /// <summary>A request for this operation: path values and query values filled in, a body of the given media type.</summary>
    public HttpRequestMessage Request(
        IReadOnlyDictionary<string, string> values, string? body = null, string mediaType = "application/json")
    {
        var path = Path;
        var query = new List<string>();
        foreach (var parameter in Parameters)
        {
            var name = (string)parameter["name"]!;
            if (!values.TryGetValue(name, out var value)) continue;
            switch ((string)parameter["in"]!)
            {
                case "path": path = path.Replace("{" + name + "}", Uri.EscapeDataString(value), StringComparison.Ordinal); break;
                case "query": query.Add($"{Uri.EscapeDataString(name)}={Uri.EscapeDataString(value)}"); break;
            }
        }
        var request = new HttpRequestMessage(new HttpMethod(Method), query.Count == 0 ? path : $"{path}?{string.Join('&', query)}");
        foreach (var header in Parameters.Where(p => (string)p["in"]! == "header"))
        {
            var name = (string)header["name"]!;
            if (values.TryGetValue(name, out var value)) request.Headers.TryAddWithoutValidation(name, value);
        }
        if (body is not null)
        {
            request.Content = new StringContent(body);
            request.Content.Headers.ContentType = new MediaTypeHeaderValue(mediaType) { CharSet = "utf-8" };
        }
        return request;
    }

    /// <summary>A parameter's example as a request carries it (a list comma-separated, as the form style says).</summary>
    public static string? Example(JsonObject parameter) => parameter["example"] switch
    {
        null => null,
        JsonArray list => string.Join(',', list.Select(v => v!.GetValue<string>())),
        var value => value.ToString(),
    };

    public override string ToString() => $"{Method} {Path}";
}
