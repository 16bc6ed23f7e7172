// Walks minified JSON text (as json_object_reader::raw and minified_json give it) without
// parsing its numbers, so that a value cut out of it or put into it keeps every digit the client
// wrote (API.md: client-owned JSON round-trips exactly). For workflows' references: finding
// `{"$ref": ...}` objects in a template, replacing them, and following a JSON Pointer (RFC 6901)
// into a step's output. The text must be valid minified JSON; anything else throws
// `storage_failure` (it was validated before it was stored).
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace dort::json_text {

/// Returns the end (one past) of the value that starts at `at`.
std::size_t skip_value(std::string_view text, std::size_t at);

/// Returns the string literal that starts at `at`, unescaped; `end` gets its end.
std::string read_string(std::string_view text, std::size_t at, std::size_t& end);

/// If the value at `at` is an object whose only key is "$ref", returns that key's value as raw
/// text (a string literal when it is a reference as API.md writes it, anything else otherwise).
std::optional<std::string_view> reference_at(std::string_view text, std::size_t at);

/// Calls `visit(path, target)` for each `{"$ref": target}` object in `text`, where `path` names
/// it below `root` ("steps[2].input.a") and `target` is its raw value. Values inside a reference
/// object are not visited.
void for_each_reference(std::string_view text, const std::string& root,
                        const std::function<void(const std::string& path,
                                                 std::string_view target)>& visit);

/// Returns `text` with each `{"$ref": target}` replaced by `resolve(target)` (JSON text).
std::string replace_references(std::string_view text,
                               const std::function<std::string(std::string_view target)>& resolve);

/// Returns the value `pointer` (RFC 6901: "" or "/a/0/~1b") names in `text`, or nothing if it
/// leads nowhere.
std::optional<std::string_view> at_pointer(std::string_view text, std::string_view pointer);

}  // namespace dort::json_text
