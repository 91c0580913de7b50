using System.Runtime.InteropServices;
using NativeContrastive.Engine.Models;
using NativeContrastive.Engine.Nn;
using NativeContrastive.Engine.Tensors;

namespace NativeContrastive.Engine.Checkpoints;

/// <summary>
/// Moves named tensors (a module's state dict, an optimiser's state) between the device
/// and a <see cref="SafeTensorsFile"/>. Keys are the state-dict names with an optional
/// prefix ("encoder.", "head.", "optim."), so one file can hold a whole run. Loading checks
/// every key and shape before it copies anything, and reports all problems at once.
/// </summary>
public static class ModuleState
{
    /// <summary>Metadata key for an encoder's architecture (see <see cref="Encoder.Arch"/>).</summary>
    public const string ArchKey = "arch";

    /// <summary>Adds each tensor as F32 under prefix + name.</summary>
    public static void AddTensors(SafeTensorsFile file, IEnumerable<(string Name, Tensor Tensor)> tensors, string prefix = "")
    {
        foreach (var (name, t) in tensors) file.AddFloat32(prefix + name, t.Shape, t.ToArray());
    }

    /// <summary>
    /// Copies prefix + name from the file into each tensor. Throws <see cref="CheckpointFormatException"/>
    /// naming the file, each missing key, and each key whose dtype or shape differs (expected vs found),
    /// or else each tensor holding a NaN or an infinity (how many, the first and where), before any
    /// tensor is written. Keys in the file that are not asked for are ignored.
    /// </summary>
    public static void LoadTensors(SafeTensorsFile file, IEnumerable<(string Name, Tensor Tensor)> tensors, string prefix = "")
    {
        var list = tensors.ToList();
        var problems = new List<string>();
        foreach (var (name, t) in list)
        {
            string key = prefix + name;
            if (!file.TryGet(key, out var st))
                problems.Add($"key '{key}' is missing (expected shape {ShapeUtil.Format(t.Shape)})");
            else if (st.DType != SafeTensorDType.F32)
                problems.Add($"key '{key}' has dtype {st.DType}, expected F32");
            else if (!ShapeUtil.SameShape(st.Shape, t.Shape))
                problems.Add($"key '{key}' has shape {ShapeUtil.Format(st.Shape)}, expected {ShapeUtil.Format(t.Shape)}");
        }
        if (problems.Count > 0)
            throw new CheckpointFormatException(file.Path,
                $"{problems.Count} of {list.Count} tensors do not match: " + string.Join("; ", problems.Take(10)) + (problems.Count > 10 ? "; …" : "") + ".");
        // A NaN or infinite weight poisons every feature (and a kNN over NaN scores looks perfect): refuse it by name.
        foreach (var (name, _) in list)
            if (NonFinite.Describe(MemoryMarshal.Cast<byte, float>(file[prefix + name].Data)) is string bad)
                problems.Add($"tensor '{prefix + name}': {bad}");
        if (problems.Count > 0)
            throw new CheckpointFormatException(file.Path,
                $"values that are not finite in {problems.Count} of {list.Count} tensors: " + string.Join("; ", problems.Take(5)) + (problems.Count > 5 ? "; …" : "")
                + "; the run that wrote it diverged or the file is damaged.");
        foreach (var (name, t) in list)
            t.Backend.CopyFromHost(MemoryMarshal.Cast<byte, float>(file[prefix + name].Data), t);
    }

    /// <summary>Adds a module's parameters and buffers; for an <see cref="Encoder"/> also metadata "arch" (with the prefix, when given, as "&lt;prefix&gt;arch").</summary>
    public static void Add(SafeTensorsFile file, Module module, string prefix = "")
    {
        AddTensors(file, module.StateDict(), prefix);
        if (module is Encoder e) file.Metadata[prefix + ArchKey] = e.Arch;
    }

    /// <summary>
    /// Loads a module's parameters and buffers. For an <see cref="Encoder"/> whose file records
    /// an "arch", a different architecture is reported as such before any shape is compared.
    /// </summary>
    public static void Load(SafeTensorsFile file, Module module, string prefix = "")
    {
        if (module is Encoder e && file.Metadata.TryGetValue(prefix + ArchKey, out var arch) && arch != e.Arch)
            throw new CheckpointFormatException(file.Path, $"checkpoint is for architecture '{arch}', the model is '{e.Arch}'.");
        LoadTensors(file, module.StateDict(), prefix);
    }

    /// <summary>Writes a module (and <paramref name="metadata"/>) to <paramref name="path"/> atomically.</summary>
    public static void Save(string path, Module module, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var file = new SafeTensorsFile();
        if (metadata is not null) foreach (var (k, v) in metadata) file.Metadata[k] = v;
        Add(file, module);
        file.Write(path);
    }

    /// <summary>Reads <paramref name="path"/> into <paramref name="module"/>; returns the file for its metadata and other tensors.</summary>
    public static SafeTensorsFile Load(string path, Module module)
    {
        var file = SafeTensorsFile.Read(path);
        Load(file, module);
        return file;
    }
}
