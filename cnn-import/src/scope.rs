//! Module paths as the exporters record them.
//!
//! - A parameter's initializer name (`layer1.0.conv1.weight`), when the
//!   exporter kept it.
//! - TorchScript's node names: `/layer1/layer1.0/conv1/Conv`, each level the
//!   full dotted path or the attribute name in its parent.
//! - The dynamo exporter's `namespace` metadata:
//!   `: ResNet/layer1: Sequential/layer1.0: BasicBlock/layer1.0.bn1: BatchNorm2d/op: aten.op`.

use crate::onnx::Node;

/// The node's module path, from its metadata or its name.
pub fn of_node(node: &Node) -> Vec<String> {
    if let Some((_, namespace)) = node.metadata.iter().find(|(k, _)| k == "namespace") {
        let levels: Vec<&str> = namespace.split('/').collect();
        // The last level is the operation, the others modules.
        let module = levels[..levels.len().saturating_sub(1)]
            .iter()
            .rev()
            .find_map(|level| {
                level
                    .split(':')
                    .next()
                    .filter(|name| !name.trim().is_empty())
            });
        return module.map(|m| dotted(m.trim())).unwrap_or_default();
    }
    // Each level is a path relative to the nearest enclosing module that is
    // not a container: `conv.1` under `/features.3/conv/` extends `conv`, and
    // so lives in `features.3`, not in `features.3.conv`.
    if !node.name.contains('/') {
        // `cnn!`'s own export names a node by its module path (`features.1.block.0`);
        // other names without a level (`Mul_12`, `Relu_3`) say nothing.
        let path = dotted(&node.name);
        let dotted_path =
            path.len() > 1 || path.iter().all(|p| p.chars().all(|c| c.is_ascii_digit()));
        return if dotted_path { path } else { Vec::new() };
    }
    let levels: Vec<&str> = node.name.split('/').filter(|l| !l.is_empty()).collect();
    let Some((_, modules)) = levels.split_last() else {
        return Vec::new();
    };
    let mut stack: Vec<(&str, Vec<String>, Vec<String>)> = Vec::new(); // (name, base, full)
    for &name in modules {
        let base = match stack
            .iter()
            .rev()
            .find(|(r, _, _)| name.starts_with(&format!("{r}.")))
        {
            Some((_, base, _)) => base.clone(),
            None => stack
                .last()
                .map(|(_, _, full)| full.clone())
                .unwrap_or_default(),
        };
        let mut full = base.clone();
        full.extend(dotted(name));
        stack.push((name, base, full));
    }
    stack.pop().map(|(_, _, full)| full).unwrap_or_default()
}

/// The module path an initializer's name gives (`layer1.0.conv1.weight` →
/// `layer1.0.conv1`), when it is one: TorchScript's folded weights are named
/// `onnx::Conv_193`, the dynamo exporter's folded biases `val_12`.
pub fn of_parameter(name: &str) -> Option<Vec<String>> {
    let (module, leaf) = name.rsplit_once('.')?;
    let plain = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    let parts = dotted(module);
    (plain(leaf) && !name.contains("::") && parts.iter().all(|p| plain(p))).then_some(parts)
}

fn dotted(path: &str) -> Vec<String> {
    path.split('.')
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn named(name: &str) -> Node {
        Node {
            name: name.into(),
            ..Node::default()
        }
    }

    #[test]
    fn torchscript_names_mix_full_paths_and_attribute_names() {
        assert_eq!(
            of_node(&named("/layer1/layer1.0/conv1/Conv")),
            ["layer1", "0", "conv1"]
        );
        assert_eq!(
            of_node(&named("/features/features.3/conv/conv.1/conv.1.0/Conv")),
            ["features", "3", "conv", "1", "0"]
        );
        assert!(of_node(&named("/Flatten")).is_empty());
    }

    #[test]
    fn dynamo_namespaces_name_the_innermost_module() {
        let mut node = named("node_Conv_295");
        node.metadata.push((
            "namespace".into(),
            ": torchvision.models.resnet.ResNet/layer1: torch.nn.modules.container.Sequential/layer1.0: \
             torchvision.models.resnet.BasicBlock/layer1.0.bn1: torch.nn.modules.batchnorm.BatchNorm2d/\
             _native_batch_norm_legit_no_training_1: aten._native_batch_norm_legit_no_training.default"
                .into(),
        ));
        assert_eq!(of_node(&node), ["layer1", "0", "bn1"]);
    }

    #[test]
    fn only_module_paths_count_as_parameter_names() {
        assert_eq!(
            of_parameter("layer1.0.conv1.weight"),
            Some(vec!["layer1".into(), "0".into(), "conv1".into()])
        );
        assert_eq!(of_parameter("onnx::Conv_193"), None);
        assert_eq!(of_parameter("val_12"), None);
    }
}
