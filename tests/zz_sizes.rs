#[test]
fn sizes() {
    use std::mem::size_of;
    use omnisim::protocol::*;
    use omnisim::reference_server::engine::{Command, OrgCommand, Reply};
    println!("Event {}", size_of::<Event>());
    println!("Message {}", size_of::<Message>());
    println!("MessageBody {}", size_of::<MessageBody>());
    println!("Command {}", size_of::<Command>());
    println!("OrgCommand {}", size_of::<OrgCommand>());
    println!("Reply {}", size_of::<Reply>());
    println!("Result<Reply,ApiError> {}", size_of::<Result<Reply, ApiError>>());
    println!("cust Act {}", size_of::<omnisim::actors::customer::Act>());
    println!("agent Act {}", size_of::<omnisim::actors::agent::Act<omnisim::measure::recorder::Labels>>());
    println!("Offer {}", size_of::<Offer>());
    println!("InboundContent {}", size_of::<InboundContent>());
    println!("ExternalId {}", size_of::<ExternalId>());
}
