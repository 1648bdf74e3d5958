//! `comark serve`: where it listens (flag, variable, file, in that order) and how it stops.

use super::*;

fn write_config(dir: &TempDir, body: &str) -> String {
    let path = dir.join("comark.toml");
    std::fs::write(&path, body).expect("write the config file");
    path.to_string_lossy().into_owned()
}

#[test]
fn serve_listens_where_the_config_file_says_and_stops_gracefully_on_sigterm() {
    let dir = TempDir::create();
    let port = free_port();
    let data_dir = dir.join("from-the-file");
    let config = write_config(
        &dir,
        &format!(
            "listen = \"127.0.0.1:{port}\"\ndata_dir = \"{}\"\nworkers = 1\n",
            data_dir.display()
        ),
    );
    let mut command = comark();
    command.args(["serve", "--config", &config]);
    let mut server = Server::start(command);
    server.wait_until_healthy(port);
    assert!(
        data_dir.join("comark.db").is_file(),
        "the data directory from the file is used"
    );
    server.stop_gracefully();
}

#[test]
fn a_listen_flag_wins_over_the_config_file() {
    let dir = TempDir::create();
    let [file_port, flag_port] = free_ports();
    let config = write_config(&dir, &format!("listen = \"127.0.0.1:{file_port}\"\n"));
    let mut command = comark();
    command.args([
        "serve",
        "--config",
        &config,
        "--data-dir",
        &dir.join("data").to_string_lossy(),
        "--listen",
        &format!("127.0.0.1:{flag_port}"),
    ]);
    let mut server = Server::start(command);
    server.wait_until_healthy(flag_port);
    assert_eq!(
        http_get(file_port, "/healthz"),
        None,
        "nothing listens on the port from the file"
    );
    server.stop_gracefully();
}

#[test]
fn a_comark_listen_variable_wins_over_the_config_file() {
    let dir = TempDir::create();
    let [file_port, env_port] = free_ports();
    let config = write_config(&dir, &format!("listen = \"127.0.0.1:{file_port}\"\n"));
    let mut command = comark();
    command
        .args(["serve", "--config", &config])
        .env("COMARK_LISTEN", format!("127.0.0.1:{env_port}"))
        .env("COMARK_DATA_DIR", dir.join("data"));
    let mut server = Server::start(command);
    server.wait_until_healthy(env_port);
    assert_eq!(http_get(file_port, "/healthz"), None);
    server.stop_gracefully();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_on_postgresql_stops_gracefully_on_sigterm() {
    let database = TestDatabase::create(Backend::Postgres).await;
    let port = free_port();
    let mut command = comark();
    command.args([
        "serve",
        "--database-url",
        database.url(),
        "--listen",
        &format!("127.0.0.1:{port}"),
    ]);
    let mut server = Server::start(command);
    server.wait_until_healthy(port);
    server.stop_gracefully();
}

#[test]
fn a_client_stuck_mid_request_does_not_keep_serve_from_stopping() {
    let dir = TempDir::create();
    let port = free_port();
    let mut command = comark();
    command.args([
        "serve",
        "--data-dir",
        &dir.join("data").to_string_lossy(),
        "--listen",
        &format!("127.0.0.1:{port}"),
    ]);
    let mut server = Server::start(command);
    server.wait_until_healthy(port);
    let mut stuck = TcpStream::connect_timeout(
        &SocketAddr::from(([127, 0, 0, 1], port)),
        Duration::from_secs(5),
    )
    .expect("connect");
    stuck
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        .expect("send half a request");
    std::thread::sleep(Duration::from_millis(300));
    server.stop_gracefully();
    drop(stuck);
}
