using PositionLedger.Tests.Infrastructure;
using YamlDotNet.RepresentationModel;

namespace PositionLedger.Tests.Deployment;

/// <summary>No Docker engine or cluster here: what can be checked is that the files parse and say what the README says.</summary>
public sealed class when_the_deployment_files_are_read
{
    private static List<YamlMappingNode> Documents(string path)
    {
        var stream = new YamlStream();
        using var reader = new StreamReader(Path.Combine(Repository.Root, path));
        stream.Load(reader);
        return [.. stream.Documents.Select(d => (YamlMappingNode)d.RootNode)];
    }

    private static YamlNode At(YamlNode node, params string[] path) =>
        path.Aggregate(node, (current, key) =>
            int.TryParse(key, out var index) ? ((YamlSequenceNode)current)[index] : ((YamlMappingNode)current)[key]);

    private static string Text(YamlNode node, params string[] path) => ((YamlScalarNode)At(node, path)).Value!;

    [Fact]
    public void kubernetes_runs_two_api_replicas_with_health_probes_and_a_three_instance_postgres_cluster()
    {
        var all = Directory.GetFiles(Path.Combine(Repository.Root, "deploy", "kubernetes"), "*.yaml")
            .SelectMany(f => Documents(Path.GetRelativePath(Repository.Root, f))).ToList();
        var kinds = all.Select(d => Text(d, "kind")).ToList();
        kinds.ShouldBe(["Secret", "Deployment", "Service", "Kustomization", "Namespace", "Cluster", "Job"], ignoreOrder: true);

        var deployment = all.Single(d => Text(d, "kind") == "Deployment");
        int.Parse(Text(deployment, "spec", "replicas"), System.Globalization.CultureInfo.InvariantCulture).ShouldBeGreaterThanOrEqualTo(2);
        var container = At(deployment, "spec", "template", "spec", "containers", "0");
        Text(container, "readinessProbe", "httpGet", "path").ShouldBe("/health/ready");
        Text(container, "livenessProbe", "httpGet", "path").ShouldBe("/health/live");
        Text(container, "envFrom", "0", "secretRef", "name").ShouldBe("positionledger-config");
        ((YamlSequenceNode)At(container, "env")).Select(e => Text(e, "name")).ShouldContain("PositionLedger__Nodes");
        // Reads at a settled knownAt go to CloudNativePG's read-only service: <cluster>-ro.
        ((YamlSequenceNode)At(container, "env")).Single(e => Text(e, "name") == "ConnectionStrings__PositionLedgerReplica")
            .ShouldSatisfyAllConditions(e => Text(e, "value").ShouldStartWith("Host=positionledger-db-ro;"));

        var cluster = all.Single(d => Text(d, "kind") == "Cluster");
        Text(cluster, "apiVersion").ShouldStartWith("postgresql.cnpg.io/");
        Text(cluster, "spec", "instances").ShouldBe("3");
        var kustomization = all.Single(d => Text(d, "kind") == "Kustomization");
        ((YamlSequenceNode)At(kustomization, "resources")).Count().ShouldBe(4);
    }

    [Fact]
    public void compose_runs_postgres_and_two_api_nodes_behind_one_port()
    {
        var compose = Documents("docker-compose.yml").Single();
        var services = (YamlMappingNode)At(compose, "services");
        services.Children.Keys.Select(k => ((YamlScalarNode)k).Value)
            .ShouldBe(["postgres", "seed", "api-1", "api-2", "proxy"], ignoreOrder: true);
        ((YamlSequenceNode)At(services, "proxy", "ports")).ShouldHaveSingleItem();
        Text(services, "api-2", "environment", "PositionLedger__Nodes").ShouldBe("multi");
        Text(services, "api-1", "build", "dockerfile").ShouldBe("deploy/Dockerfile");
        var nginx = File.ReadAllText(Path.Combine(Repository.Root, "deploy", "nginx.conf"));
        nginx.ShouldContain("server api-2:8080");
        nginx.ShouldContain("proxy_cache reads;"); // reads cached as the app marks them
        nginx.ShouldContain("proxy_no_cache $http_authorization;");
        var dockerfile = File.ReadAllText(Path.Combine(Repository.Root, "deploy", "Dockerfile"));
        dockerfile.ShouldContain("USER app");
        dockerfile.ShouldContain("FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build");
    }
}
