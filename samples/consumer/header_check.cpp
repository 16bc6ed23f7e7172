// The header rule of the installed package, checked at compile time: the headers a program
// needs for objects (dort::runtime) and tasks (dort::execution) bring in neither LMDB nor
// libcurl, Boost or spdlog, so a program builds without those headers and cannot come to depend
// on them by accident. Each #error names what leaked; the macros are those libraries' include
// guards or macros every one of their headers defines.
#include <dort/actors/declared_object.hpp>
#include <dort/actors/durable_object.hpp>
#include <dort/actors/json_reader.hpp>
#include <dort/actors/json_writer.hpp>
#include <dort/actors/object_messaging.hpp>
#include <dort/actors/object_ref.hpp>
#include <dort/runtime/object_stub.hpp>
#include <dort/runtime/runtime.hpp>
#include <dort/runtime/runtime_options.hpp>

#include <dort/execution/execution_client.hpp>
#include <dort/execution/execution_object.hpp>
#include <dort/execution/execution_waker.hpp>
#include <dort/execution/http_task.hpp>
#include <dort/execution/task_handler.hpp>
#include <dort/execution/task_services.hpp>

#ifdef _LMDB_H_
#error "a public dort header includes <lmdb.h>"
#endif
#ifdef CURLINC_CURL_H
#error "a public dort header includes <curl/curl.h>"
#endif
#ifdef BOOST_CONFIG_HPP
#error "a public dort header includes Boost"
#endif
#if defined(SPDLOG_VER_MAJOR) || defined(SPDLOG_LEVEL_TRACE)
#error "a public dort header includes spdlog"
#endif
