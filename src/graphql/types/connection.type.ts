import { ArgsType, type ClassType, Field, Int, ObjectType } from "type-graphql";
import { encodeCursor, type FeedPage, MAX_PAGE_SIZE } from "@/src/services/change-feed.js";

@ObjectType({ simpleResolvers: true })
export class PageInfo {
  @Field(() => Boolean) hasNextPage!: boolean;
  @Field(() => String, { nullable: true, description: "Pass as `after` for the next page." })
  endCursor!: string | null;
}

/** `first` and `after` of a change-feed connection. */ @ArgsType()
export class FeedPageArgs {
  @Field(() => Int, {
    nullable: true,
    description: `Page size, 1 to ${MAX_PAGE_SIZE} (default ${MAX_PAGE_SIZE})`,
  })
  first?: number | null;
  @Field(() => String, { nullable: true }) after?: string | null;
}

/** A Relay connection over a change feed: edges in revision order, cursors carry the revision. */
export function Connection<T extends { revision: number }>(node: ClassType<T>) {
  @ObjectType(`${node.name}Edge`, { simpleResolvers: true })
  class Edge {
    @Field(() => String) cursor!: string;
    @Field(() => node) node!: T;
  }

  @ObjectType({ simpleResolvers: true })
  abstract class ConnectionType {
    @Field(() => [Edge]) edges!: Edge[];
    @Field(() => PageInfo) pageInfo!: PageInfo;
  }
  return ConnectionType;
}

export function toConnection<T extends { revision: number }>(page: FeedPage<T>) {
  const edges = page.nodes.map((node) => ({ cursor: encodeCursor(node.revision), node }));
  return { edges, pageInfo: { hasNextPage: page.hasNextPage, endCursor: edges.at(-1)?.cursor ?? null } };
}
