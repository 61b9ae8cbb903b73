using System.Text.Json;

namespace MLNetDistill.Tests;

/// <summary>Reads the PyTorch golden outputs committed beside the fixtures.</summary>
internal sealed class Golden
{
    private readonly JsonElement _root;

    private Golden(JsonElement root) => _root = root;

    public static Golden Load(string name) => new(JsonDocument.Parse(File.ReadAllText(TestPaths.Fixture(name))).RootElement);

    public float[][] Matrix(string key) => _root.GetProperty(key).EnumerateArray()
        .Select(row => row.ValueKind == JsonValueKind.Array ? row.EnumerateArray().Select(v => v.GetSingle()).ToArray() : [row.GetSingle()]).ToArray();

    public long[][] LongMatrix(string key) => _root.GetProperty(key).EnumerateArray().Select(row => row.EnumerateArray().Select(v => v.GetInt64()).ToArray()).ToArray();

    public float[] Vector(string key) => _root.GetProperty(key).EnumerateArray().Select(v => v.GetSingle()).ToArray();

    public bool Has(string key) => _root.TryGetProperty(key, out _);

    public JsonElement Root => _root;
}
