using JasperFx.CodeGeneration;
using JasperFx.CodeGeneration.Model;
using Microsoft.Extensions.DependencyInjection;
using PositionLedger.Tests.Infrastructure;

namespace PositionLedger.Tests.Contract;

/// <summary>JasperFx's codegen switch is process-wide, so this runs alone.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class CodegenCollection
{
    public const string Name = "codegen";
}

/// <summary>
/// Outside Development the app loads Wolverine's generated code from Internal/Generated. This fails when
/// that code no longer matches what the endpoints would generate now (run `codegen write`, see README).
/// </summary>
[Collection(CodegenCollection.Name)]
public sealed class when_the_endpoints_change
{
    [Fact]
    public async Task the_committed_generated_code_is_what_codegen_write_would_write_now()
    {
        // Before Build(): Static mode must not demand the (possibly stale) pre-built types.
        DynamicCodeBuilder.WithinCodegenCommand = true;
        try
        {
            await using var app = PositionLedgerApp.Build(
                ["--ConnectionStrings:PositionLedger=Host=127.0.0.1;Port=1;Username=nobody", "--Logging:LogLevel:Default=Warning"]);
            var generated = Generate(app.Services);
            var root = Path.Combine(Repository.Root, "src", "PositionLedger.Api", "Internal", "Generated");
            var committed = Directory.GetFiles(root, "*.cs", SearchOption.AllDirectories)
                .ToDictionary(f => Path.GetRelativePath(root, f), File.ReadAllText);

            var stale = generated.Where(g => !committed.TryGetValue(g.Key, out var text) || text != g.Value).Select(g => g.Key)
                .Concat(committed.Keys.Except(generated.Keys))
                .ToList();

            generated.Count.ShouldBeGreaterThan(10);
            stale.ShouldBeEmpty("Stale generated code: run `dotnet run --project src/PositionLedger.Api -- codegen write` (see README)");
        }
        finally
        {
            DynamicCodeBuilder.WithinCodegenCommand = false;
        }
    }

    /// <summary>What `codegen write` writes, as relative path and text, without writing anything.</summary>
    private static Dictionary<string, string> Generate(IServiceProvider services)
    {
        var variables = services.GetService<IServiceVariableSource>();
        var result = new Dictionary<string, string>();
        foreach (var collection in services.GetServices<ICodeFileCollection>())
        {
            var source = collection is ICodeFileCollectionWithServices ? variables : null;
            foreach (var file in collection.BuildFiles())
            {
                var assembly = collection.StartAssembly(collection.Rules);
                file.AssembleTypes(assembly);
                if (source is not null)
                {
                    source.ResetServiceProvider();
                    if (file.TryReplaceServiceProvider(out var provider)) source.ReplaceServiceProvider(provider);
                }
                result[Path.Combine([
                    .. collection.ChildNamespace.Split('.'),
                    file.FileName.Replace(" ", "_", StringComparison.Ordinal) + ".cs"])] = assembly.GenerateCode(source);
            }
        }
        return result;
    }
}
