#include "engine/app/pg_dump_run.hpp"

#include <fcntl.h>
#include <libpq-fe.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

extern char** environ;

namespace hisbridge::app {
namespace {
namespace fs = std::filesystem;

// A value in a libpq key=value string: in single quotes, a quote or backslash escaped.
std::string quoted_value(std::string_view value) {
  std::string out = "'";
  for (const char c : value) {
    if (c == '\'' || c == '\\') {
      out += '\\';
    }
    out += c;
  }
  out += '\'';
  return out;
}

bool flush_path(const fs::path& path, int flags) {
  const int fd = ::open(path.c_str(), flags | O_CLOEXEC);
  if (fd < 0) {
    return false;
  }
  const bool ok = ::fsync(fd) == 0;
  ::close(fd);
  return ok;
}

// This process's environment for pg_dump: PGPASSWORD replaced when the location has a
// password, and a connect timeout unless one is set, so that a server that does not answer
// fails the backup instead of holding it.
std::vector<std::string> child_environment(const PgDumpCommand& command) {
  std::vector<std::string> env;
  bool timeout_set = command.sets_connect_timeout;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    const std::string_view entry(*e);
    if (command.password && entry.starts_with("PGPASSWORD=")) {
      continue;
    }
    timeout_set = timeout_set || entry.starts_with("PGCONNECT_TIMEOUT=");
    env.emplace_back(entry);
  }
  if (command.password) {
    env.push_back("PGPASSWORD=" + *command.password);
  }
  if (!timeout_set) {
    env.emplace_back("PGCONNECT_TIMEOUT=10");
  }
  return env;
}

std::vector<char*> pointers_to(std::vector<std::string>& texts) {
  std::vector<char*> out;
  out.reserve(texts.size() + 1);
  for (std::string& t : texts) {
    out.push_back(t.data());
  }
  out.push_back(nullptr);
  return out;
}

}  // namespace

Result<PgDumpCommand, std::string> pg_dump_command(std::string_view location,
                                                   const fs::path& file, std::string program) {
  const std::string info(location);
  char* message = nullptr;
  std::unique_ptr<PQconninfoOption, decltype(&PQconninfoFree)> options(
      PQconninfoParse(info.c_str(), &message), &PQconninfoFree);
  if (!options) {
    std::string why = message != nullptr ? message : "not a PostgreSQL connection string";
    PQfreemem(message);
    while (!why.empty() && why.back() == '\n') {
      why.pop_back();
    }
    return why;
  }
  PgDumpCommand command;
  std::string conninfo;
  for (const PQconninfoOption* o = options.get(); o->keyword != nullptr; ++o) {
    if (o->val == nullptr || *o->val == '\0') {
      continue;
    }
    if (std::strcmp(o->keyword, "password") == 0) {
      command.password = o->val;
      continue;
    }
    command.sets_connect_timeout =
        command.sets_connect_timeout || std::strcmp(o->keyword, "connect_timeout") == 0;
    conninfo += (conninfo.empty() ? "" : " ") + std::string(o->keyword) + "=" +
                quoted_value(o->val);
  }
  command.writes = file;
  command.writes += ".part";
  command.arguments = {std::move(program), "--format=custom",
                       "--file=" + command.writes.string(), "--dbname=" + conninfo};
  return command;
}

Result<void, std::string> run_pg_dump(const PgDumpCommand& command, const fs::path& file) {
  const fs::path& part = command.writes;
  std::vector<std::string> env = child_environment(command);
  std::vector<std::string> arguments = command.arguments;
  std::vector<char*> argv = pointers_to(arguments);
  std::vector<char*> envp = pointers_to(env);
  pid_t pid = 0;
  const int spawned = ::posix_spawnp(&pid, argv[0], nullptr, nullptr, argv.data(), envp.data());
  if (spawned != 0) {
    return spawned == ENOENT ? command.arguments[0] +
                                   " was not found: install PostgreSQL's client programs "
                                   "(Debian: apt-get install postgresql-client)"
                             : "cannot start " + command.arguments[0] + ": " +
                                   std::strerror(spawned);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) {
      const int e = errno;
      std::error_code ec;
      fs::remove(part, ec);
      return "waiting for pg_dump failed: " + std::string(std::strerror(e));
    }
  }
  std::error_code ec;
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    fs::remove(part, ec);
    return WIFEXITED(status)
               ? "pg_dump exited with status " + std::to_string(WEXITSTATUS(status)) +
                     " (its message is above)"
               : "pg_dump was ended by signal " + std::to_string(WTERMSIG(status));
  }
  if (!flush_path(part, O_RDONLY)) {
    const int e = errno;
    fs::remove(part, ec);
    return "cannot flush " + part.string() + ": " + std::strerror(e);
  }
  fs::rename(part, file, ec);
  if (ec) {
    const std::string why = ec.message();
    fs::remove(part, ec);
    return "cannot name the dump " + file.string() + ": " + why;
  }
  (void)flush_path(file.parent_path(), O_RDONLY | O_DIRECTORY);
  return {};
}

}  // namespace hisbridge::app
